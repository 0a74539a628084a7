import type { Result } from 'ioredis'
import type { SessionEndReason } from '../../errors/api-errors.js'
import { scriptCall, type LuaScript, type ScriptCall } from '../../redis/lua-script.js'
import { luaFieldNames } from '../session-fields.js'
import { END_SESSION_FUNCTION } from './end-session-lua.js'

export interface RevokeAllSessionsBatchKeys {
  indexKey: string
  generationKey: string
}

export interface RevokeAllSessionsBatchArgs {
  // What the script appends a session id to, for its session and its tombstone key.
  sessionPrefix: string
  tombstonePrefix: string
  reason: SessionEndReason
  // '': every device.
  deviceId: string
  // How long a tombstone lives when the session had no TTL (it always should have one).
  fallbackTtlMs: number
  generationTtlMs: number
  // '0' for the first batch, then the cursor the previous batch replied.
  cursor: string
  batchSize: number
}

// One batch of a revoke-all: the index is walked with ZSCAN, which returns every entry that
// stays in it throughout, whatever is added or removed meanwhile, and does a bounded amount
// of work per call. Called until the cursor comes back '0'. The session and tombstone keys it
// builds from the prefixes carry the user's hash tag, so they live in the index's cluster slot.
const REVOKE_ALL_SESSIONS_BATCH_LUA = `
local indexKey = KEYS[1]
local generationKey = KEYS[2]
local sessionPrefix = ARGV[1]
local tombstonePrefix = ARGV[2]
local reason = ARGV[3]
local deviceId = ARGV[4]
local fallbackTtlMs = tonumber(ARGV[5])
local generationTtlMs = ARGV[6]
local cursor = ARGV[7]
local batchSize = ARGV[8]
${END_SESSION_FUNCTION}
local EVERY_DEVICE = ''
-- Under its one-letter name, or its long one in a session stored with those.
local function deviceOf (key)
  local device = redis.call('HMGET', key, ${luaFieldNames(['deviceId'])}, ${luaFieldNames(['deviceId'], 'long')})
  return device[1] or device[2]
end
-- Replies {next cursor ('0': done), sessions ended by this batch}.
-- Ending every session is a cut-off, made before the first batch: logins whose password check
-- began before it fail to create their session (see create-session.ts).
if cursor == '0' and deviceId == EVERY_DEVICE then
  redis.call('INCR', generationKey)
  redis.call('PEXPIRE', generationKey, generationTtlMs)
end
local scan = redis.call('ZSCAN', indexKey, cursor, 'COUNT', batchSize)
local nextCursor, entries = scan[1], scan[2]
local revoked = 0
-- ZSCAN replies member, score, member, score...
for i = 1, #entries, 2 do
  local id = entries[i]
  local key = sessionPrefix .. id
  if redis.call('EXISTS', key) == 0 then
    redis.call('ZREM', indexKey, id)
  elseif deviceId == EVERY_DEVICE or deviceOf(key) == deviceId then
    revoked = revoked + endSession(key, tombstonePrefix .. id, reason, fallbackTtlMs)
    redis.call('ZREM', indexKey, id)
  end
end
return {nextCursor, revoked}
`

export const revokeAllSessionsBatchScript: LuaScript<RevokeAllSessionsBatchKeys, RevokeAllSessionsBatchArgs> = {
  command: 'sessionRevokeAllBatch',
  lua: REVOKE_ALL_SESSIONS_BATCH_LUA,
  keys: ['indexKey', 'generationKey'],
  args: ['sessionPrefix', 'tombstonePrefix', 'reason', 'deviceId', 'fallbackTtlMs', 'generationTtlMs', 'cursor', 'batchSize']
}

type RevokeAllSessionsBatchReply = [nextCursor: string, revoked: number]

declare module 'ioredis' {
  interface RedisCommander<Context> {
    sessionRevokeAllBatch: (...call: ScriptCall) => Result<RevokeAllSessionsBatchReply, Context>
  }
}

export function revokeAllSessionsBatchCall (keys: RevokeAllSessionsBatchKeys, args: RevokeAllSessionsBatchArgs): ScriptCall {
  return scriptCall(revokeAllSessionsBatchScript, keys, args)
}

// `nextCursor`: '0' when the walk is done. `revoked`: the sessions this batch ended.
export function decodeRevokeAllSessionsBatchReply (
  [nextCursor, revoked]: RevokeAllSessionsBatchReply
): { nextCursor: string, revoked: number } {
  return { nextCursor, revoked }
}
