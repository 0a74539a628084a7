import { ERROR_CODES, SERVER_END_REASONS } from '../../contract/api-contract.js'
import type { ApiErrorBody } from './errors.js'

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
 * - `'replaced'`: the user signed in on another device of the same `deviceType` (another phone),
 *   beyond what the server's `SESSION_DEVICE_RULES` allow for that type, and this oldest one ended.
 * - `'banned'`: the account was banned (an administrator, the admin CLI or a backend): every
 *   session ended, and signing in answers errorCode 1011 until the ban lifts. Also the reason
 *   when a refresh answers 1011.
 * - `'password_reset'`: the password was reset with a recovery link (`resetPassword`): every
 *   session of the user ended; sign in with the new password.
 * - `'second_factor_changed'`: the account's second factor was removed: every other session ended.
 * - `'invalid_token'`: errorCode 1001 (the token is unusable), or a 1002 with a reason this SDK
 *   does not know.
 * - `'invalid_refresh_token'`: errorCode 1004 (the refresh token is unusable).
 */
export type SessionEndReason = typeof SESSION_END_REASONS[number]

const END_REASONS: ReadonlySet<string> = new Set(SESSION_END_REASONS)

export function isSessionEndReason (value: unknown): value is SessionEndReason {
  return typeof value === 'string' && END_REASONS.has(value)
}

// Why an error answer means the session is over, or undefined when it does not.
export function sessionEndReasonOf (body: ApiErrorBody | undefined): SessionEndReason | undefined {
  switch (body?.errorCode) {
    case ERROR_CODES.invalidToken: return 'invalid_token'
    // A reason this SDK does not know yet still ends the session.
    case ERROR_CODES.sessionEnded: return isSessionEndReason(body.reason) ? body.reason : 'invalid_token'
    case ERROR_CODES.invalidRefreshToken: return 'invalid_refresh_token'
    // A refresh of a banned user's session: no session, and none to be had until the ban lifts.
    case ERROR_CODES.accountDisabled: return 'banned'
    default: return undefined
  }
}
