import type { Result } from 'ioredis'
import type { RedisClient } from '../redis/redis-client.js'
import { defineLuaScripts, scriptCall, type LuaScript, type ScriptCall } from '../redis/lua-script.js'

export interface AttemptCounterKeys {
  counterKey: string
}

export interface ReserveAttemptArgs {
  windowMs: number
  limit: number
}

// Takes one attempt from a fixed-window counter, unless none is left.
const RESERVE_ATTEMPT_LUA = `
local counterKey = KEYS[1]
local windowMs = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
-- Replies 0 when it took an attempt, else the ms until the window ends.
local count = tonumber(redis.call('GET', counterKey) or '0')
if count >= limit then
  local ttl = redis.call('PTTL', counterKey)
  if ttl > 0 then return ttl end
  return windowMs
end
if redis.call('INCR', counterKey) == 1 then redis.call('PEXPIRE', counterKey, windowMs) end
return 0
`

// Hands an attempt back, only while its window lasts: a DECR after expiry would leave -1 forever.
const RELEASE_ATTEMPT_LUA = `
local counterKey = KEYS[1]
-- Replies 1.
if redis.call('EXISTS', counterKey) == 1 then redis.call('DECR', counterKey) end
return 1
`

export const reserveAttemptScript: LuaScript<AttemptCounterKeys, ReserveAttemptArgs> = {
  command: 'attemptReserve',
  lua: RESERVE_ATTEMPT_LUA,
  keys: ['counterKey'],
  args: ['windowMs', 'limit']
}

export const releaseAttemptScript: LuaScript<AttemptCounterKeys, Record<string, never>> = {
  command: 'attemptRelease',
  lua: RELEASE_ATTEMPT_LUA,
  keys: ['counterKey'],
  args: []
}

declare module 'ioredis' {
  interface RedisCommander<Context> {
    attemptReserve: (...call: ScriptCall) => Result<number, Context>
    attemptRelease: (...call: ScriptCall) => Result<1, Context>
  }
}

export function defineAttemptCommands (redis: RedisClient): void {
  defineLuaScripts(redis, [reserveAttemptScript, releaseAttemptScript])
}

export function reserveAttemptCall (keys: AttemptCounterKeys, args: ReserveAttemptArgs): ScriptCall {
  return scriptCall(reserveAttemptScript, keys, args)
}

export function releaseAttemptCall (keys: AttemptCounterKeys): ScriptCall {
  return scriptCall(releaseAttemptScript, keys, {})
}

// How long the caller must wait: 0 when the attempt was reserved.
export function decodeReserveAttemptReply (reply: number): number {
  return reply
}
