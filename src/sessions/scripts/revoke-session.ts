import type { Result } from 'ioredis'
import type { SessionEndReason } from '../../errors/api-errors.js'
import { scriptCall, type LuaScript, type ScriptCall } from '../../redis/lua-script.js'
import type { OneSessionKeys } from '../session-keys.js'
import type { EndedSession } from '../session-store.js'
import { decodeEndedSession, ENDED_SESSION_FUNCTION, type EndedSessionReply } from './ended-session-lua.js'
import { END_SESSION_FUNCTION } from './end-session-lua.js'

export interface RevokeSessionArgs {
  sessionId: string
  reason: SessionEndReason
  // How long the tombstone lives when the session had no TTL (it always should have one).
  fallbackTtlMs: number
}

const REVOKE_SESSION_LUA = `
local sessionKey = KEYS[1]
local indexKey = KEYS[2]
local tombstoneKey = KEYS[3]
local sessionId = ARGV[1]
local reason = ARGV[2]
local fallbackTtlMs = tonumber(ARGV[3])
${END_SESSION_FUNCTION}
${ENDED_SESSION_FUNCTION}
-- Replies {1, the session as endedSession tells it} when it ended the session, {0, {}} when
-- there was none.
redis.call('ZREM', indexKey, sessionId)
local ended = endedSession(sessionId, sessionKey)
return {endSession(sessionKey, tombstoneKey, reason, fallbackTtlMs), ended}
`

export const revokeSessionScript: LuaScript<OneSessionKeys, RevokeSessionArgs> = {
  command: 'sessionRevoke',
  lua: REVOKE_SESSION_LUA,
  keys: ['sessionKey', 'indexKey', 'tombstoneKey'],
  args: ['sessionId', 'reason', 'fallbackTtlMs']
}

type RevokeSessionReply = [ended: 0 | 1, session: EndedSessionReply]

declare module 'ioredis' {
  interface RedisCommander<Context> {
    sessionRevoke: (...call: ScriptCall) => Result<RevokeSessionReply, Context>
  }
}

export function revokeSessionCall (keys: OneSessionKeys, args: RevokeSessionArgs): ScriptCall {
  return scriptCall(revokeSessionScript, keys, args)
}

// The session the call ended; undefined when there was none.
export function decodeRevokeSessionReply ([ended, session]: RevokeSessionReply): EndedSession | undefined {
  return ended === 1 ? decodeEndedSession(session) : undefined
}
