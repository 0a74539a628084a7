import type { Result } from 'ioredis'
import { scriptCall, type LuaScript, type ScriptCall } from '../../redis/lua-script.js'
import { TRIM_INDEX_FUNCTION } from './trim-index-lua.js'

export interface TrimSessionsKeys {
  indexKey: string
}

// What a trim of the user's index needs; a login's create passes the same.
export interface TrimSessionsArgs {
  // What the scripts append a session id to, for its session and its tombstone key.
  sessionPrefix: string
  tombstonePrefix: string
  // 0: no cap.
  maxSessions: number
  // How many of the oldest index entries one call looks at.
  indexScanLimit: number
  // How long a tombstone lives when the ended session had no TTL (it always should have one).
  fallbackTtlMs: number
}

// Goes on where a login's trim stopped: only an index that grew past the cap before the cap
// existed (or was lowered) needs more than the login's own call.
const TRIM_SESSIONS_LUA = `
local indexKey = KEYS[1]
local sessionPrefix = ARGV[1]
local tombstonePrefix = ARGV[2]
local maxSessions = tonumber(ARGV[3])
local indexScanLimit = tonumber(ARGV[4])
local fallbackTtlMs = tonumber(ARGV[5])
${TRIM_INDEX_FUNCTION}
-- No session is spared for being the one just created.
local keep = ''
local overCap, evicted = trimIndex(indexKey, sessionPrefix, tombstonePrefix, maxSessions, indexScanLimit, keep, fallbackTtlMs)
return {overCap, evicted}
`

export const trimSessionsScript: LuaScript<TrimSessionsKeys, TrimSessionsArgs> = {
  command: 'sessionTrim',
  lua: TRIM_SESSIONS_LUA,
  keys: ['indexKey'],
  args: ['sessionPrefix', 'tombstonePrefix', 'maxSessions', 'indexScanLimit', 'fallbackTtlMs']
}

type TrimSessionsReply = [overCap: number, evicted: string[]]

declare module 'ioredis' {
  interface RedisCommander<Context> {
    sessionTrim: (...call: ScriptCall) => Result<TrimSessionsReply, Context>
  }
}

export function trimSessionsCall (keys: TrimSessionsKeys, args: TrimSessionsArgs): ScriptCall {
  return scriptCall(trimSessionsScript, keys, args)
}

// `overCap`: the index entries still over the cap, for a later call to go on with.
export function decodeTrimSessionsReply ([overCap, evicted]: TrimSessionsReply): { overCap: number, evicted: string[] } {
  return { overCap, evicted }
}
