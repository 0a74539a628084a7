import type { Result } from 'ioredis'
import { scriptCall, type LuaScript, type ScriptCall } from '../../redis/lua-script.js'
import { TRIM_INDEX_FUNCTION } from './trim-index-lua.js'
import type { TrimSessionsArgs } from './trim-sessions.js'

export interface CreateSessionKeys {
  sessionKey: string
  indexKey: string
  generationKey: string
}

export interface CreateSessionArgs extends TrimSessionsArgs {
  ttlMs: number
  // The index's score for the session.
  loginAt: number
  sessionId: string
  // The user's generation, read before the password check.
  generationRead: string
  // The index outlives its sessions by this much, so that extending it is a rare write.
  indexSlackMs: number
}

// Stores a login's session, then trims the user's index to the cap, in one step.
const CREATE_SESSION_LUA = `
local sessionKey = KEYS[1]
local indexKey = KEYS[2]
local generationKey = KEYS[3]
local sessionPrefix = ARGV[1]
local tombstonePrefix = ARGV[2]
local maxSessions = tonumber(ARGV[3])
local indexScanLimit = tonumber(ARGV[4])
local fallbackTtlMs = tonumber(ARGV[5])
local ttlMs = tonumber(ARGV[6])
local loginAt = ARGV[7]
local sessionId = ARGV[8]
local generationRead = ARGV[9]
local indexSlackMs = tonumber(ARGV[10])
local hashFields = {unpack(ARGV, 11)}
${TRIM_INDEX_FUNCTION}
-- Replies {created (1, or 0 when nothing was stored), entries still over the cap, evicted ids}.
-- A revoke-all since the password check (a password change, say) bumped the generation:
-- this login checked credentials that may no longer hold, so it must not create a session.
if (redis.call('GET', generationKey) or '0') ~= generationRead then return {0, 0, {}} end
redis.call('HSET', sessionKey, unpack(hashFields))
redis.call('PEXPIRE', sessionKey, ttlMs)
redis.call('ZADD', indexKey, loginAt, sessionId)
-- The index must outlive every session it lists, or revoke-all would miss one.
if redis.call('PTTL', indexKey) < ttlMs then redis.call('PEXPIRE', indexKey, ttlMs + indexSlackMs) end
local overCap, evicted = trimIndex(indexKey, sessionPrefix, tombstonePrefix, maxSessions, indexScanLimit, sessionId, fallbackTtlMs)
return {1, overCap, evicted}
`

export const createSessionScript: LuaScript<CreateSessionKeys, CreateSessionArgs> = {
  command: 'sessionCreate',
  lua: CREATE_SESSION_LUA,
  keys: ['sessionKey', 'indexKey', 'generationKey'],
  args: [
    'sessionPrefix', 'tombstonePrefix', 'maxSessions', 'indexScanLimit', 'fallbackTtlMs',
    'ttlMs', 'loginAt', 'sessionId', 'generationRead', 'indexSlackMs'
  ],
  restArgs: 'hashFields'
}

type CreateSessionReply = [created: 0 | 1, overCap: number, evicted: string[]]

declare module 'ioredis' {
  interface RedisCommander<Context> {
    sessionCreate: (...call: ScriptCall) => Result<CreateSessionReply, Context>
  }
}

// `hashFields`: the field/value pairs of the new session's hash.
export function createSessionCall (keys: CreateSessionKeys, args: CreateSessionArgs, hashFields: readonly string[]): ScriptCall {
  return scriptCall(createSessionScript, keys, args, { args: hashFields })
}

// `overCap`: the index entries still over the cap, for further trims to go on with.
export type CreatedSession =
  | { created: true, overCap: number, evicted: string[] }
  | { created: false }

export function decodeCreateSessionReply ([created, overCap, evicted]: CreateSessionReply): CreatedSession {
  return created === 1 ? { created: true, overCap, evicted } : { created: false }
}
