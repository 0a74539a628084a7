import type { Result } from 'ioredis'
import type { SessionEndReason } from '../../errors/api-errors.js'
import { scriptCall, type LuaScript, type ScriptCall } from '../../redis/lua-script.js'
import { luaFieldNames } from '../session-fields.js'
import type { DeclaredSession } from '../session-keys.js'
import type { EndedSession } from '../session-store.js'
import { declaredSessionsRest } from './declared-sessions.js'
import { decodeEndedSession, ENDED_SESSION_FUNCTION, type EndedSessionReply } from './ended-session-lua.js'
import { END_SESSION_FUNCTION } from './end-session-lua.js'

export interface RevokeAllSessionsBatchKeys {
  indexKey: string
}

export interface RevokeAllSessionsBatchArgs {
  reason: SessionEndReason
  // '': every device.
  deviceId: string
  // How long a tombstone lives when the session had no TTL (it always should have one).
  fallbackTtlMs: number
}

// One batch of a revoke-all: the sessions of the index entries one ZSCAN call returned. A session
// already gone (ended meanwhile, or named again because ZSCAN may return an entry twice) is not
// in the reply, so the walk's replies name each session it ended once.
const REVOKE_ALL_SESSIONS_BATCH_LUA = `
local indexKey = KEYS[1]
local sessionAndTombstoneKeys = {unpack(KEYS, 2)}
local reason = ARGV[1]
local deviceId = ARGV[2]
local fallbackTtlMs = tonumber(ARGV[3])
local sessionIds = {unpack(ARGV, 4)}
${END_SESSION_FUNCTION}
${ENDED_SESSION_FUNCTION}
local EVERY_DEVICE = ''
-- Under its one-letter name, or its long one in a session stored with those.
local function deviceOf (key)
  local device = redis.call('HMGET', key, ${luaFieldNames(['deviceId'])}, ${luaFieldNames(['deviceId'], 'long')})
  return device[1] or device[2]
end
-- Replies the sessions this batch ended, each {id, device type, userIdKind} ('' for none).
local revoked = {}
for i, id in ipairs(sessionIds) do
  local sessionKey, tombstoneKey = sessionAndTombstoneKeys[2 * i - 1], sessionAndTombstoneKeys[2 * i]
  if redis.call('EXISTS', sessionKey) == 0 then
    redis.call('ZREM', indexKey, id)
  elseif deviceId == EVERY_DEVICE or deviceOf(sessionKey) == deviceId then
    local ended = endedSession(id, sessionKey)
    if endSession(sessionKey, tombstoneKey, reason, fallbackTtlMs) == 1 then revoked[#revoked + 1] = ended end
    redis.call('ZREM', indexKey, id)
  end
end
return revoked
`

export const revokeAllSessionsBatchScript: LuaScript<RevokeAllSessionsBatchKeys, RevokeAllSessionsBatchArgs> = {
  command: 'sessionRevokeAllBatch',
  lua: REVOKE_ALL_SESSIONS_BATCH_LUA,
  keys: ['indexKey'],
  args: ['reason', 'deviceId', 'fallbackTtlMs'],
  restKeys: 'sessionAndTombstoneKeys',
  restArgs: 'sessionIds'
}

declare module 'ioredis' {
  interface RedisCommander<Context> {
    sessionRevokeAllBatch: (...call: ScriptCall) => Result<EndedSessionReply[], Context>
  }
}

export function revokeAllSessionsBatchCall (
  keys: RevokeAllSessionsBatchKeys, args: RevokeAllSessionsBatchArgs, sessions: readonly DeclaredSession[]
): ScriptCall {
  return scriptCall(revokeAllSessionsBatchScript, keys, args, declaredSessionsRest(sessions))
}

export function decodeRevokeAllSessionsBatchReply (reply: readonly EndedSessionReply[]): EndedSession[] {
  return reply.map(decodeEndedSession)
}
