import type { ApiErrorBody } from './errors.js'
import { isSessionEndReason } from './tab-channel.js'
import type { SessionEndReason } from './types.js'

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
