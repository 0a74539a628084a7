// The API's error codes and the reasons a session ends: one list for the auth server, this SDK
// and the web page. It lives in the SDK, which is published alone and so cannot import the
// server; the server imports it from here. Clients branch on these strings: they are a public
// contract, and a value is added here, never changed.

/**
 * Every `errorCode` of the API's error answers `{code: 0, errorCode, info, reason?}`, by name.
 * The HTTP status of each is the server's (src/errors/api-errors.ts).
 * @example
 * if (error instanceof AuthError && error.errorCode === ERROR_CODES.tooManyRequests) wait()
 */
export const ERROR_CODES = {
  /** 401: the token is missing, malformed, forged, or replaced by a reissued one. */
  invalidToken: '1001',
  /** 401: the session has ended; the answer's `reason` says why. */
  sessionEnded: '1002',
  /** 401, refresh strategy: the access token ran out; refresh and retry. */
  accessTokenExpired: '1003',
  /** 401: the refresh token is invalid, expired or was used twice. */
  invalidRefreshToken: '1004',
  /** 401 at login (account or password), 403 at password change (the current password). */
  wrongCredentials: '1010',
  /** 429: too many attempts; the Retry-After header says when to try again. */
  tooManyRequests: '1029',
  /** 400: the body, parameters or headers were refused; `info` says which and why. */
  invalidInput: '1400',
  /** 401: an operator route (`GET /metrics`) was called without its bearer token, or with another. */
  unauthorized: '1401',
  /** 403: not allowed (no CSRF proof, not an admin, registration closed). */
  forbidden: '1403',
  /** 404: no such route, session, account or note. */
  notFound: '1404',
  /** 409: the account exists already. */
  accountTaken: '1409',
  /** 500: a fault of the server. */
  internal: '1500',
  /** 503: Redis, the database or the password hashing is unavailable; the session lives on. */
  unavailable: '1503'
} as const

export type ErrorCode = typeof ERROR_CODES[keyof typeof ERROR_CODES]

/** Why the server ended a session: the `reason` of an errorCode 1002 answer. */
export const SERVER_END_REASONS = [
  'logout',
  'logout_all',
  'password_changed',
  'revoked',
  'admin',
  'expired',
  'max_lifetime',
  'refresh_reused',
  // A login beyond the server's SESSION_MAX_PER_USER: the user's oldest sessions make room.
  'evicted',
  // The user signed out every other device from one session (POST /auth/logout-others).
  'logout_others'
] as const

export type ServerEndReason = typeof SERVER_END_REASONS[number]

/**
 * Every reason the SDK reports to `onSessionEnded`: the server's reasons of errorCode 1002, plus
 * two for answers that carry none: 1001 (the token is unusable) and 1004 (the refresh token is).
 */
export const SESSION_END_REASONS = [...SERVER_END_REASONS, 'invalid_token', 'invalid_refresh_token'] as const

/**
 * Why a session ended: the server's `reason` values of errorCode 1002, plus two for answers that
 * carry none.
 *
 * - `'logout'`, `'logout_all'`, `'password_changed'`: the user did it, here or on another device.
 * - `'logout_others'`: the user signed out every other device from one of their sessions.
 * - `'revoked'`: ended from another device's session list (or the user was demoted).
 * - `'admin'`: ended by an administrator or the server's admin CLI.
 * - `'expired'`: idle longer than the server's `SESSION_TTL`.
 * - `'max_lifetime'`: older than the server's `SESSION_MAX_LIFETIME`.
 * - `'refresh_reused'`: a refresh token was used twice, which can mean it was copied.
 * - `'evicted'`: a login on another device went over the server's `SESSION_MAX_PER_USER`, and
 *   the oldest sessions ended.
 * - `'invalid_token'`: errorCode 1001 (the token is unusable), or a 1002 with a reason this SDK
 *   does not know.
 * - `'invalid_refresh_token'`: errorCode 1004 (the refresh token is unusable).
 */
export type SessionEndReason = typeof SESSION_END_REASONS[number]
