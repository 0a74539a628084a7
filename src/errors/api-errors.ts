import createError, { type FastifyError } from '@fastify/error'

// The one registry of API errors. Each error's `code` is `AUTH_<errorCode>`; the error
// handler turns it into the body `{code: 0, errorCode, info, reason?}`. Clients branch on
// `errorCode`, so these strings and their HTTP statuses are a public contract.

const API_ERROR_CODE_PREFIX = 'AUTH_'
// Expected client errors on the hot path need no stack trace; skipping it keeps a 401 cheap.
const NO_STACK = false

export type SessionEndReason =
  | 'logout'
  | 'logout_all'
  | 'password_changed'
  | 'revoked'
  | 'admin'
  | 'expired'
  | 'max_lifetime'
  | 'refresh_reused'
  // Ended by a login beyond SESSION_MAX_PER_USER: the user's oldest sessions make room.
  | 'evicted'

export const InvalidTokenError = createError('AUTH_1001', 'Invalid or missing token', 401, Error, NO_STACK)
// Also a bad token: a reissue replaced it and its grace window is over. The session lives on.
export const ReplacedTokenError = createError('AUTH_1001', 'Token was replaced by a reissued one', 401, Error, NO_STACK)
const SessionEndedError = createError<[SessionEndReason]>('AUTH_1002', 'Session has ended (%s)', 401, Error, NO_STACK)
// Refresh strategy: the access token ran out; the client refreshes and retries.
export const AccessTokenExpiredError = createError('AUTH_1003', 'Access token has expired', 401, Error, NO_STACK)
export const InvalidRefreshTokenError = createError('AUTH_1004', 'Invalid, expired or reused refresh token', 401, Error, NO_STACK)
export const WrongCredentialsError = createError('AUTH_1010', 'Wrong account or password', 401, Error, NO_STACK)
export const WrongPasswordError = createError('AUTH_1010', 'Wrong password', 403, Error, NO_STACK)
const TooManyRequestsError = createError<[number]>('AUTH_1029', 'Too many requests, retry in %d seconds', 429, Error, NO_STACK)
// Also the errorCode the error handler gives schema failures and malformed bodies.
export const INVALID_INPUT_ERROR_CODE = '1400'
export const InvalidInputError = createError<[string]>(`AUTH_${INVALID_INPUT_ERROR_CODE}`, '%s', 400, Error, NO_STACK)
export const ForbiddenError = createError<[string]>('AUTH_1403', '%s', 403, Error, NO_STACK)
export const NotFoundError = createError<[string]>('AUTH_1404', '%s', 404, Error, NO_STACK)
export const AccountTakenError = createError('AUTH_1409', 'Account already exists', 409, Error, NO_STACK)
export const ServiceUnavailableError = createError<[string, { cause: unknown }]>('AUTH_1503', '%s is unavailable', 503)
export const INTERNAL_ERROR_CODE = '1500'

export interface SessionEnded extends FastifyError {
  reason: SessionEndReason
}

export interface TooManyRequests extends FastifyError {
  retryAfterSeconds: number
}

export function sessionEnded (reason: SessionEndReason): SessionEnded {
  return Object.assign(new SessionEndedError(reason), { reason })
}

export function tooManyRequests (retryAfterSeconds: number): TooManyRequests {
  const seconds = Math.max(1, Math.ceil(retryAfterSeconds))
  return Object.assign(new TooManyRequestsError(seconds), { retryAfterSeconds: seconds })
}

export function sessionStoreUnavailable (cause: unknown): FastifyError {
  return new ServiceUnavailableError('The session store', { cause })
}

export function databaseUnavailable (cause: unknown): FastifyError {
  return new ServiceUnavailableError('The database', { cause })
}

// The API errorCode of an error from this registry, or undefined for any other error.
export function apiErrorCodeOf (error: { code?: unknown }): string | undefined {
  const { code } = error
  if (typeof code !== 'string' || !code.startsWith(API_ERROR_CODE_PREFIX)) return undefined
  return code.slice(API_ERROR_CODE_PREFIX.length)
}

// Every password-hashing slot and queue place of this instance is taken. A 503, not a 429: the
// server is short of cores, the client did nothing wrong. No stack: it is expected under load.
const PasswordHashingBusyError = createError<[number]>('AUTH_1503', 'Password checks are busy, retry in %d seconds', 503, Error, NO_STACK)

export interface PasswordHashingBusy extends FastifyError {
  retryAfterSeconds: number
}

export function passwordHashingBusy (retryAfterSeconds: number): PasswordHashingBusy {
  return Object.assign(new PasswordHashingBusyError(retryAfterSeconds), { retryAfterSeconds })
}
