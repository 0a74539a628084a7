import type { Result } from 'ioredis'
import { scriptCall, type LuaScript, type ScriptCall } from '../../redis/lua-script.js'

export interface CreateSessionKeys {
  sessionKey: string
  indexKey: string
  generationKey: string
}

export interface CreateSessionArgs {
  ttlMs: number
  // The index's score for the session.
  loginAt: number
  sessionId: string
  // The user's generation, read before the password check.
  generationRead: string
  // The index outlives its sessions by this much, so that extending it is a rare write.
  indexSlackMs: number
  // How many of the oldest index entries the trim looks at: one more than the cap (a batch without one).
  indexScanLimit: number
}

// Stores a login's session. The trim that drops the entries of sessions that ended on their own and
// keeps the index within the cap is the caller's next call: it must declare the session and
// tombstone keys of the entries it looks at, which only an index read can name, so this reply
// carries those entries, read in the same step. A user's only session needs no trim.
const CREATE_SESSION_LUA = `
local sessionKey = KEYS[1]
local indexKey = KEYS[2]
local generationKey = KEYS[3]
local ttlMs = tonumber(ARGV[1])
local loginAt = ARGV[2]
local sessionId = ARGV[3]
local generationRead = ARGV[4]
local indexSlackMs = tonumber(ARGV[5])
local indexScanLimit = tonumber(ARGV[6])
local hashFields = {unpack(ARGV, 7)}
-- Replies {created (1, or 0 when nothing was stored), the oldest indexScanLimit index entries
-- when the index holds others than this session (a trim can then do something), else none}.
-- A revoke-all since the password check (a password change, say) bumped the generation:
-- this login checked credentials that may no longer hold, so it must not create a session.
if (redis.call('GET', generationKey) or '0') ~= generationRead then return {0, {}} end
redis.call('HSET', sessionKey, unpack(hashFields))
redis.call('PEXPIRE', sessionKey, ttlMs)
redis.call('ZADD', indexKey, loginAt, sessionId)
-- The index must outlive every session it lists, or revoke-all would miss one.
if redis.call('PTTL', indexKey) < ttlMs then redis.call('PEXPIRE', indexKey, ttlMs + indexSlackMs) end
local toTrim = {}
if redis.call('ZCARD', indexKey) > 1 then toTrim = redis.call('ZRANGE', indexKey, 0, indexScanLimit - 1) end
return {1, toTrim}
`

export const createSessionScript: LuaScript<CreateSessionKeys, CreateSessionArgs> = {
  command: 'sessionCreate',
  lua: CREATE_SESSION_LUA,
  keys: ['sessionKey', 'indexKey', 'generationKey'],
  args: ['ttlMs', 'loginAt', 'sessionId', 'generationRead', 'indexSlackMs', 'indexScanLimit'],
  restArgs: 'hashFields'
}

type CreateSessionReply = [created: 0 | 1, toTrim: string[]]

declare module 'ioredis' {
  interface RedisCommander<Context> {
    sessionCreate: (...call: ScriptCall) => Result<CreateSessionReply, Context>
  }
}

// `hashFields`: the field/value pairs of the new session's hash.
export function createSessionCall (keys: CreateSessionKeys, args: CreateSessionArgs, hashFields: readonly string[]): ScriptCall {
  return scriptCall(createSessionScript, keys, args, { args: hashFields })
}

// `toTrim`: the oldest index entries, oldest first, for a trim to look at (empty: no trim needed).
export type CreatedSession =
  | { created: true, toTrim: string[] }
  | { created: false }

export function decodeCreateSessionReply ([created, toTrim]: CreateSessionReply): CreatedSession {
  return created === 1 ? { created: true, toTrim } : { created: false }
}
