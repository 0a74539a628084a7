import { luaFieldNames } from '../session-fields.js'
import type { EndedSession } from '../session-store.js'

// What a script tells of a session it ends, read from the hash just before it goes: the events
// (session.ended) carry its device type and the user id as the session was started (a string of
// digits, which the key gives back as a number), which nothing can read once the record is gone.
// Each under its one-letter name, or its long one in a session stored with those; '' for none.
export const ENDED_SESSION_FUNCTION = `
local function endedSession (sessionId, sessionKey)
  local fields = redis.call('HMGET', sessionKey, ${luaFieldNames(['deviceType', 'userIdKind'])}, ${luaFieldNames(['deviceType', 'userIdKind'], 'long')})
  return {sessionId, fields[1] or fields[3] or '', fields[2] or fields[4] or ''}
end
`

// A script's reply for one session it ended: its id, its device type and its userIdKind ('' for none).
export type EndedSessionReply = [sessionId: string, deviceType: string, userIdKind: string]

export function decodeEndedSession ([sessionId, deviceType, userIdKind]: EndedSessionReply): EndedSession {
  return {
    sessionId,
    ...(deviceType === '' ? {} : { deviceType }),
    ...(userIdKind === '' ? {} : { userIdKind })
  }
}
