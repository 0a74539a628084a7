import { ERROR_CODES, SESSION_END_REASONS, type SessionEndReason } from './api-codes.js'
import type { ApiErrorBody } from './errors.js'

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
    default: return undefined
  }
}
