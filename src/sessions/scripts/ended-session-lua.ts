import { luaFieldNames } from '../session-fields.js'
import type { EndedSession } from '../session-store.js'

// What a script tells of a session it ends, read from the hash just before it goes: the events
// (session.ended) carry its device type, which nothing can read once the record is gone.
// Under its one-letter name, or its long one in a session stored with those; '' for none.
export const DEVICE_TYPE_FUNCTION = `
local function deviceTypeOf (sessionKey)
  local deviceType = redis.call('HMGET', sessionKey, ${luaFieldNames(['deviceType'])}, ${luaFieldNames(['deviceType'], 'long')})
  return deviceType[1] or deviceType[2] or ''
end
`

// A script's reply for one session it ended: its id and its device type ('' for none).
export type EndedSessionReply = [sessionId: string, deviceType: string]

export function decodeEndedSession ([sessionId, deviceType]: EndedSessionReply): EndedSession {
  return deviceType === '' ? { sessionId } : { sessionId, deviceType }
}
