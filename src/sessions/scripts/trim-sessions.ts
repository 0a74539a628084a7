import type { Result } from 'ioredis'
import { scriptCall, type LuaScript, type ScriptCall } from '../../redis/lua-script.js'
import type { DeclaredSession } from '../session-keys.js'
import type { EndedSession } from '../session-store.js'
import { declaredSessionsRest } from './declared-sessions.js'
import { decodeEndedSession, ENDED_SESSION_FUNCTION, type EndedSessionReply } from './ended-session-lua.js'
import { END_SESSION_FUNCTION } from './end-session-lua.js'

export interface TrimSessionsKeys {
  indexKey: string
}

export interface TrimSessionsArgs {
  // 0: no cap.
  maxSessions: number
  // How many of the oldest index entries one call looks at.
  indexScanLimit: number
  // How long a tombstone lives when the ended session had no TTL (it always should have one).
  fallbackTtlMs: number
}

// Idle sessions vanish without telling the index. This drops the entries of those among the
// declared sessions and, beyond the cap, ends the oldest live ones (reason 'evicted'). It looks
// only at the sessions it is given, which the caller took from the oldest `indexScanLimit`
// entries, so one call never does work that grows with a user's session count. An entry added
// since, and so not declared, is left for a later call.
const TRIM_SESSIONS_LUA = `
local indexKey = KEYS[1]
local sessionAndTombstoneKeys = {unpack(KEYS, 2)}
local maxSessions = tonumber(ARGV[1])
local indexScanLimit = tonumber(ARGV[2])
local fallbackTtlMs = tonumber(ARGV[3])
-- Oldest first, as the index listed them.
local sessionIds = {unpack(ARGV, 4)}
${END_SESSION_FUNCTION}
${ENDED_SESSION_FUNCTION}
-- Replies {entries still over the cap, the evicted sessions (each {id, device type, userIdKind},
-- '' for none), the oldest indexScanLimit ids for the next call to declare (none once within the cap)}.
local live = {}
for i, id in ipairs(sessionIds) do
  local sessionKey, tombstoneKey = sessionAndTombstoneKeys[2 * i - 1], sessionAndTombstoneKeys[2 * i]
  -- An entry that left the index since it was read (a logout, a concurrent trim) was dealt with.
  if redis.call('ZSCORE', indexKey, id) then
    if redis.call('EXISTS', sessionKey) == 0 then
      redis.call('ZREM', indexKey, id)
    else
      live[#live + 1] = {id, sessionKey, tombstoneKey}
    end
  end
end
local evicted = {}
local overCap = 0
if maxSessions > 0 then
  local excess = redis.call('ZCARD', indexKey) - maxSessions
  for i = 1, math.min(excess, #live) do
    local id, sessionKey, tombstoneKey = unpack(live[i])
    evicted[#evicted + 1] = endedSession(id, sessionKey)
    endSession(sessionKey, tombstoneKey, 'evicted', fallbackTtlMs)
    redis.call('ZREM', indexKey, id)
  end
  overCap = math.max(0, excess - #evicted)
end
local nextIds = {}
if overCap > 0 then nextIds = redis.call('ZRANGE', indexKey, 0, indexScanLimit - 1) end
return {overCap, evicted, nextIds}
`

export const trimSessionsScript: LuaScript<TrimSessionsKeys, TrimSessionsArgs> = {
  command: 'sessionTrim',
  lua: TRIM_SESSIONS_LUA,
  keys: ['indexKey'],
  args: ['maxSessions', 'indexScanLimit', 'fallbackTtlMs'],
  restKeys: 'sessionAndTombstoneKeys',
  restArgs: 'sessionIds'
}

type TrimSessionsReply = [overCap: number, evicted: EndedSessionReply[], nextIds: string[]]

declare module 'ioredis' {
  interface RedisCommander<Context> {
    sessionTrim: (...call: ScriptCall) => Result<TrimSessionsReply, Context>
  }
}

// `sessions`: the oldest entries of the index, oldest first.
export function trimSessionsCall (keys: TrimSessionsKeys, args: TrimSessionsArgs, sessions: readonly DeclaredSession[]): ScriptCall {
  return scriptCall(trimSessionsScript, keys, args, declaredSessionsRest(sessions))
}

// `overCap`: the index entries still over the cap; `nextIds`: the sessions the next call declares.
export interface TrimmedSessions {
  overCap: number
  evicted: EndedSession[]
  nextIds: string[]
}

export function decodeTrimSessionsReply ([overCap, evicted, nextIds]: TrimSessionsReply): TrimmedSessions {
  return { overCap, evicted: evicted.map(decodeEndedSession), nextIds }
}
