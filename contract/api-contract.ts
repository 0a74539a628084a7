// The API's public contract: the strings clients branch on and the shapes of the answers they
// read. One module with no imports, compiled into the auth server, its plugin package and the
// SDK package alike: the server's error registry (src/errors/) and response schemas (src/api/)
// are built from it and checked against it when compiled, and the SDK and the web page read
// answers by it. It never imports the server or a client. A value is added here, never changed.

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
  /** 401: an operator route (`GET /metrics`) or a backend's `/service/` route was called without its bearer token or service key, or with another. */
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
  unavailable: '1503',
  /**
   * 409: this account is signed in on the most devices of this `deviceType` that it may be (the
   * server's `SESSION_DEVICE_RULES` says `"onOverflow": "refuse_new"`); nothing was started.
   */
  deviceTypeFull: '1013',
  /**
   * 403: sign in again to do this: the session's last sign-in (`authAt`) is older than the
   * route allows, `maxAge` seconds (the answer says it). `POST /auth/reauthenticate`, then retry.
   */
  recentAuthRequired: '1005',
  /** 403: this account is disabled (`reason: "banned"`, and `until` when the ban lifts by itself): no session can start or refresh. */
  accountDisabled: '1011',
  /**
   * 401 at login: the password was right and the account has a second factor. The answer's
   * `challenge` goes to `POST /auth/login/second-factor` with a code; no session was started.
   * 403 at `POST /auth/reauthenticate`: the account has a second factor, so a re-authentication
   * needs its `code` beside the password (no challenge: send both again).
   */
  secondFactorRequired: '1012',
  /** 400: this password-reset link is invalid, was used, or has expired; ask for a new one. */
  invalidResetToken: '1014'
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
  'logout_others',
  // A login on another device of the same deviceType went over that type's maxSessions
  // (SESSION_DEVICE_RULES, "onOverflow": "end_oldest"): "You signed in on another phone".
  'replaced',
  // The user was banned (POST /admin/users/:userId/ban and the others): every session ended at once.
  'banned',
  // The password was reset through a recovery link (POST /auth/password/reset): every session ended.
  'password_reset',
  // The account's second factor was removed (DELETE /auth/2fa/totp): every other session ended.
  'second_factor_changed'
] as const

export type ServerEndReason = typeof SERVER_END_REASONS[number]

/** Who a session belongs to: `'admin'` for administrators, else `'user'`. */
export const USER_TYPES = ['user', 'admin'] as const

export type UserType = typeof USER_TYPES[number]

/**
 * Who a session belongs to: a positive integer up to 2³¹−1 (the auth server's own users), or a
 * string of 1 to 64 characters `A–Z a–z 0–9 _ -` (another user store's id: a UUID, a ULID, a
 * snowflake id as a string). Answers carry it as it was given: a number stays a number, a
 * string a string. Digits name the same user either way (`123` and `"123"`).
 */
export type UserId = number | string

/** The one shape of every error answer, from the auth server and from services using its check. */
export interface ErrorBody {
  code: 0
  /** Stable error code, one of {@link ERROR_CODES} (a client meets an unknown one as a plain error). */
  errorCode: string
  /** A message for logs rather than for users. */
  info: string
  /**
   * With errorCode `"1002"`: why the session ended, one of {@link SERVER_END_REASONS}; with `"1011"`:
   * `"banned"`; with `"1010"` from `POST /auth/login/second-factor`: `"challenge_expired"` when the
   * challenge is unknown, used, expired or void (log in again), absent for a wrong code.
   */
  reason?: string
  /** With errorCode `"1005"`: how recent, in seconds, the sign-in this needs must be. */
  maxAge?: number
  /** With errorCode `"1011"`: when the ban lifts by itself (ISO 8601, UTC); absent for a ban until lifted. */
  until?: string
  /** With errorCode `"1012"`: what `POST /auth/login/second-factor` takes with the code (single use, 300 s). */
  challenge?: string
}

/** The `reason` of a `"1010"` from `POST /auth/login/second-factor` whose challenge no longer works: log in again. */
export const CHALLENGE_EXPIRED_REASON = 'challenge_expired'

/** The answer of `POST /auth/login`, `POST /auth/refresh` and `POST /auth/password`. */
export interface IssuedSessionBody {
  result: 'success'
  /** The session's token (refresh strategy: the access token). */
  token: string
  /** The signed-in user's id, a number or a string as the session was started with. */
  userId: UserId
  userType: UserType
  /** The session's id: its `id` in the session list. */
  sessionId: string
  /** Refresh strategy: seconds until the access token expires. */
  expiresIn?: number
  /** Refresh strategy: the token to send to `POST /auth/refresh`. */
  refreshToken?: string
  /** Refresh strategy: seconds until the refresh token expires. */
  refreshExpiresIn?: number
}

/** The answer of `GET /auth/me`: who the session belongs to. */
export interface MeBody {
  /** The signed-in user's id, a number or a string as the session was started with. */
  userId: UserId
  userType: UserType
  /** The session's `deviceType` (`phone`, `tv`, `web`, ...), whose rules it follows, or null. */
  deviceType: string | null
  /**
   * The account the user signs in with, as registered; absent for a session the app started
   * without one (`app.sessions.start`, `POST /service/sessions`).
   */
  account?: string
  /** The session's id: its `id` in the session list. */
  sessionId: string
  /**
   * When the user last proved who they are in this session, in milliseconds since the epoch:
   * the login, or the last `POST /auth/reauthenticate` (or the app's `markAuthenticated`).
   */
  authAt: number
  /**
   * How the session was proven, as RFC 8176 `amr` values: `["pwd"]` for a password login,
   * `["pwd", "otp"]` with the second factor, or what the app's `app.sessions.start` said.
   */
  amr: string[]
}

/** One session as its user (`GET /auth/sessions`) or an admin sees it: device facts, never the token. */
export interface SessionViewBody {
  id: string
  /** The `deviceId` its login sent, or null. */
  deviceId: string | null
  /** The `deviceType` its login sent (`phone`, `tv`, `web`, ...), whose rules it follows, or null. */
  deviceType: string | null
  /**
   * A label of the browser or client made from the login's `User-Agent` header, e.g.
   * `'Chrome 131 on macOS'`; a client no parser recognises keeps the start of its header (at
   * most 64 bytes); null without the header.
   */
  userAgent: string | null
  /** The client IP the login came from. */
  ip: string
  /** When it signed in, in milliseconds since the epoch. */
  loginAt: number
  /** When it was last used, in milliseconds since the epoch, to the minute. */
  lastSeenAt?: number
  /** When its user last proved who they are in it (login or re-authentication), in milliseconds since the epoch. */
  authAt: number
  /** How it was proven (RFC 8176 `amr`): `["pwd"]`, `["pwd", "otp"]`, or what the app said. */
  amr: string[]
  /** Whether it is the session the request was made with. */
  current: boolean
}

/** The answer of `GET /auth/sessions`: the user's live sessions, newest first. */
export interface SessionListBody {
  sessions: SessionViewBody[]
}

/** The answer of `POST /auth/reauthenticate`: the session's new `authAt`. */
export interface ReauthenticatedBody {
  result: 'success'
  /** Now, in milliseconds since the epoch: the session's sign-in counts as this recent. */
  authAt: number
}

/** The answer of the routes that end several sessions: how many ended. */
export interface RevokedCountBody {
  result: 'success'
  revoked: number
}

/** The answer of `GET /admin/users/:userId/ban`: whether the user is banned now, and the ban. */
export interface UserBanBody {
  banned: boolean
  /** The ban's reason, as the admin or service gave it. */
  reason?: string
  /** When the ban lifts by itself (ISO 8601, UTC); absent for a ban until lifted. */
  until?: string
  /** When the user was banned (ISO 8601, UTC). */
  bannedAt?: string
  /** Who banned the user: `admin:<userId>`, `cli`, `service:<name>`, or what the app's code gave. */
  actor?: string
}

/** The answer of the routes that lift a ban: whether there was one to lift. */
export interface BanLiftedBody {
  result: 'success'
  lifted: boolean
}

/** The answer of `POST /auth/2fa/totp/setup`: the secret to add to an authenticator app; nothing is on until confirmed. */
/** `GET /auth/2fa/totp`: whether the signed-in user's account needs the second factor. */
export interface TotpStatusBody {
  /** True once a setup was confirmed, until the factor is turned off. */
  enabled: boolean
}

export interface TotpSetupBody {
  /** The secret, base32 (RFC 4648, no padding): for typing into the app by hand. */
  secret: string
  /** The `otpauth://totp/...` URI the app reads from a QR code: SHA-1, 6 digits, 30 s. */
  otpauthUri: string
}

/** The answer of `POST /auth/2fa/totp/confirm`: the second factor is on; the backup codes are shown this once. */
export interface TotpConfirmedBody {
  result: 'success'
  /** Ten single-use codes, each usable instead of the app's code once; only their digests are kept. */
  backupCodes: string[]
}
