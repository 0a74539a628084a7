import createError, { type FastifyError } from '@fastify/error'
import { CHALLENGE_EXPIRED_REASON, ERROR_CODES, type ErrorCode, type ServerEndReason } from '../../contract/api-contract.js'

// The one registry of API errors: each code (listed once, in the public contract,
// contract/api-contract.ts, for the server, the SDK and the web page) with its HTTP status and
// message. Each error's `code` is `AUTH_<errorCode>`; the error handler turns it into the body
// `{code: 0, errorCode, info, reason?}`. Clients branch on `errorCode`, so these strings and
// their HTTP statuses are a public contract. @fastify/error makes the classes: a standalone
// package (it imports nothing of Fastify), so the core stays free of the framework.

export { ERROR_CODES } from '../../contract/api-contract.js'

const API_ERROR_CODE_PREFIX = 'AUTH_'
// Expected client errors on the hot path need no stack trace; skipping it keeps a 401 cheap.
const NO_STACK = false

// The reasons the server gives with a 1002 (the SDK adds two of its own for 1001 and 1004).
export type SessionEndReason = ServerEndReason

function apiCode (errorCode: ErrorCode): string {
  return `${API_ERROR_CODE_PREFIX}${errorCode}`
}

export const InvalidTokenError = createError(apiCode(ERROR_CODES.invalidToken), 'Invalid or missing token', 401, Error, NO_STACK)
// Also a bad token: a reissue replaced it and its grace window is over. The session lives on.
export const ReplacedTokenError = createError(apiCode(ERROR_CODES.invalidToken), 'Token was replaced by a reissued one', 401, Error, NO_STACK)
const SessionEndedError = createError<[SessionEndReason]>(apiCode(ERROR_CODES.sessionEnded), 'Session has ended (%s)', 401, Error, NO_STACK)
// Refresh strategy: the access token ran out; the client refreshes and retries.
export const AccessTokenExpiredError = createError(apiCode(ERROR_CODES.accessTokenExpired), 'Access token has expired', 401, Error, NO_STACK)
export const InvalidRefreshTokenError = createError(apiCode(ERROR_CODES.invalidRefreshToken), 'Invalid, expired or reused refresh token', 401, Error, NO_STACK)
export const WrongCredentialsError = createError(apiCode(ERROR_CODES.wrongCredentials), 'Wrong account or password', 401, Error, NO_STACK)
export const WrongPasswordError = createError(apiCode(ERROR_CODES.wrongCredentials), 'Wrong password', 403, Error, NO_STACK)
const TooManyRequestsError = createError<[number]>(apiCode(ERROR_CODES.tooManyRequests), 'Too many requests, retry in %d seconds', 429, Error, NO_STACK)
// The error handler also answers schema failures and malformed bodies with its code.
export const InvalidInputError = createError<[string]>(apiCode(ERROR_CODES.invalidInput), '%s', 400, Error, NO_STACK)
// Operator routes (/metrics with METRICS_TOKEN): not a user's session, so not 1001.
export const BearerTokenRequiredError = createError(apiCode(ERROR_CODES.unauthorized), 'A valid bearer token is required', 401, Error, NO_STACK)
// The /service/ routes: no service key, or one SERVICE_KEYS does not list. A backend's key, not a
// user's session, so not 1001 either; the message says which of the refusals it was.
export const ServiceKeyRefusedError = createError<[string]>(apiCode(ERROR_CODES.unauthorized), '%s', 401, Error, NO_STACK)
export const ForbiddenError = createError<[string]>(apiCode(ERROR_CODES.forbidden), '%s', 403, Error, NO_STACK)
export const NotFoundError = createError<[string]>(apiCode(ERROR_CODES.notFound), '%s', 404, Error, NO_STACK)
// A password-reset token that is unknown, used or expired: the link is dead, a new one is needed.
export const InvalidResetTokenError = createError(apiCode(ERROR_CODES.invalidResetToken), 'This password-reset link is invalid or has expired', 400, Error, NO_STACK)
export const AccountTakenError = createError(apiCode(ERROR_CODES.accountTaken), 'Account already exists', 409, Error, NO_STACK)
// SESSION_DEVICE_RULES: the type's maxSessions are all live and its onOverflow is refuse_new.
export const DeviceTypeFullError = createError<[string, number]>(apiCode(ERROR_CODES.deviceTypeFull), 'This account is signed in on the most devices of type %s that it may be (%d)', 409, Error, NO_STACK)
// The session is live but its last sign-in is too old for this route: the client asks for the
// password again (POST /auth/reauthenticate) rather than signing the user out.
const RecentAuthRequiredError = createError<[number]>(apiCode(ERROR_CODES.recentAuthRequired), 'Sign in again to do this: the last sign-in must be within %d seconds', 403, Error, NO_STACK)
export const ServiceUnavailableError = createError<[string, { cause: unknown }]>(apiCode(ERROR_CODES.unavailable), '%s is unavailable', 503)
const AccountDisabledError = createError(apiCode(ERROR_CODES.accountDisabled), 'This account is disabled', 403, Error, NO_STACK)
// The password was right and the account has a second factor: no session yet, a challenge instead.
const SecondFactorRequiredError = createError(apiCode(ERROR_CODES.secondFactorRequired), 'Second factor required: send the challenge with a code to POST /auth/login/second-factor', 401, Error, NO_STACK)
// A re-authentication of an account with a second factor proves both factors, as its login did.
export const SecondFactorCodeRequiredError = createError(apiCode(ERROR_CODES.secondFactorRequired), 'This account has a second factor: send its code with the password', 403, Error, NO_STACK)
// A wrong one-time code; the same code as a wrong password, and counted against the same budgets.
export const WrongCodeError = createError(apiCode(ERROR_CODES.wrongCredentials), 'Wrong code', 401, Error, NO_STACK)
// At DELETE /auth/2fa/totp a wrong code is not a failed sign-in but a refused change, as a wrong
// current password is at POST /auth/password.
export const WrongCodeForChangeError = createError(apiCode(ERROR_CODES.wrongCredentials), 'Wrong code', 403, Error, NO_STACK)
// The account has a second factor already (setup), or has none (confirm without a setup, removal).
export const SecondFactorExistsError = createError(apiCode(ERROR_CODES.accountTaken), 'Two-factor authentication is on already: turn it off first', 409, Error, NO_STACK)
export const NoSecondFactorError = createError<[string]>(apiCode(ERROR_CODES.notFound), '%s', 404, Error, NO_STACK)
const ChallengeExpiredError = createError(apiCode(ERROR_CODES.wrongCredentials), 'The sign-in challenge is invalid, used or expired: log in again', 401, Error, NO_STACK)

export interface SessionEnded extends FastifyError {
  reason: SessionEndReason
}

export interface TooManyRequests extends FastifyError {
  retryAfterSeconds: number
  // Every budget that refused had refused the same key before in its window (docs/events.md).
  repeatedRefusal: boolean
}

// A banned user's login, session start or refresh. `until`: when the ban lifts (ISO 8601), if it does.
export interface AccountDisabled extends FastifyError {
  reason: 'banned'
  until?: string
}

export function accountDisabled (until?: string): AccountDisabled {
  return Object.assign(new AccountDisabledError(), until === undefined ? { reason: 'banned' as const } : { reason: 'banned' as const, until })
}

export function sessionEnded (reason: SessionEndReason): SessionEnded {
  return Object.assign(new SessionEndedError(reason), { reason })
}

export interface RecentAuthRequired extends FastifyError {
  maxAge: number
}

export function recentAuthRequired (maxAgeSeconds: number): RecentAuthRequired {
  return Object.assign(new RecentAuthRequiredError(maxAgeSeconds), { maxAge: maxAgeSeconds })
}

export function tooManyRequests (retryAfterSeconds: number, repeatedRefusal = false): TooManyRequests {
  const seconds = Math.max(1, Math.ceil(retryAfterSeconds))
  return Object.assign(new TooManyRequestsError(seconds), { retryAfterSeconds: seconds, repeatedRefusal })
}

// A rate-limited request whose refusal its budgets told already (a rate_limited event) this window.
export function isRepeatedRefusal (error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'repeatedRefusal' in error && error.repeatedRefusal === true
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
const PasswordHashingBusyError = createError<[number]>(apiCode(ERROR_CODES.unavailable), 'Password checks are busy, retry in %d seconds', 503, Error, NO_STACK)

export interface PasswordHashingBusy extends FastifyError {
  retryAfterSeconds: number
}

export function passwordHashingBusy (retryAfterSeconds: number): PasswordHashingBusy {
  return Object.assign(new PasswordHashingBusyError(retryAfterSeconds), { retryAfterSeconds })
}

export interface SecondFactorRequired extends FastifyError {
  challenge: string
}

export function secondFactorRequired (challenge: string): SecondFactorRequired {
  return Object.assign(new SecondFactorRequiredError(), { challenge })
}

export interface ChallengeExpired extends FastifyError {
  reason: typeof CHALLENGE_EXPIRED_REASON
}

// The challenge no longer works (unknown, used, expired, void after wrong codes or a moved generation).
export function challengeExpired (): ChallengeExpired {
  return Object.assign(new ChallengeExpiredError(), { reason: CHALLENGE_EXPIRED_REASON as typeof CHALLENGE_EXPIRED_REASON })
}
