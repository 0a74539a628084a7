import type { SessionViewBody } from '../../contract/api-contract.js'
import { PASSWORD_AMR } from './session-amr.js'
import type { SessionRecord } from './session-store.js'

// How a session is shown to its user or an admin; the shape is SessionViewSchema's.
export function toSessionView (record: SessionRecord, currentSessionId?: string): SessionViewBody {
  return {
    id: record.sessionId,
    deviceId: record.deviceId ?? null,
    deviceType: record.deviceType ?? null,
    userAgent: record.userAgent ?? null,
    ip: record.ip,
    loginAt: record.loginAt,
    ...(record.lastSeenAt === undefined ? {} : { lastSeenAt: record.lastSeenAt }),
    authAt: record.authAt ?? record.loginAt,
    amr: [...record.amr ?? PASSWORD_AMR],
    current: record.sessionId === currentSessionId
  }
}
