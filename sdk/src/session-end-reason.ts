import type { ApiErrorBody } from './errors.js'
import type { SessionEndReason } from './types.js'

// Every reason this SDK reports: the server's reasons of errorCode 1002, then the two for 1001 and 1004.
const END_REASONS: ReadonlySet<string> = new Set<SessionEndReason>([
  'logout', 'logout_all', 'password_changed', 'revoked', 'admin', 'expired', 'max_lifetime',
  'refresh_reused', 'evicted', 'invalid_token', 'invalid_refresh_token'
])

export function isSessionEndReason (value: unknown): value is SessionEndReason {
  return typeof value === 'string' && END_REASONS.has(value)
}

// Why an error answer means the session is over, or undefined when it does not.
export function sessionEndReasonOf (body: ApiErrorBody | undefined): SessionEndReason | undefined {
  switch (body?.errorCode) {
    case '1001': return 'invalid_token'
    // A reason this SDK does not know yet still ends the session.
    case '1002': return isSessionEndReason(body.reason) ? body.reason : 'invalid_token'
    case '1004': return 'invalid_refresh_token'
    default: return undefined
  }
}
