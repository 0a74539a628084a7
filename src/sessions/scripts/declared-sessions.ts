import type { RestOfCall } from '../../redis/lua-script.js'
import type { DeclaredSession } from '../session-keys.js'

// The trailing KEYS and ARGV of a script about several sessions of one user: for each session its
// session key then its tombstone key, and its id, in one order. The script names them
// `sessionAndTombstoneKeys` and `sessionIds`: the keys of `sessionIds[i]` are at 2i-1 and 2i.
export function declaredSessionsRest (sessions: readonly DeclaredSession[]): RestOfCall {
  return {
    keys: sessions.flatMap((session) => [session.sessionKey, session.tombstoneKey]),
    args: sessions.map((session) => session.sessionId)
  }
}
