import type { Result } from 'ioredis'
import type { RedisClient } from '../redis/redis-client.js'
import { defineLuaScripts, scriptCall, type LuaScript, type ScriptCall } from '../redis/lua-script.js'

export interface AttemptCounterKeys {
  counterKey: string
}

export interface ReserveAttemptKeys extends AttemptCounterKeys {
  // The budget's refusals (refusalKeyOf): in the counter's cluster slot.
  refusalKey: string
}

export interface ReserveAttemptArgs {
  windowMs: number
  limit: number
  // How long untold refusals wait for the budget's next window with a refusal to be told in.
  refusalTtlMs: number
}

// Takes one attempt from a fixed-window counter, unless none is left. A refusal is counted next
// to it, so that only the first refusal of a window is told (one rate_limited event) whichever
// instance it reaches: it tells the refusals counted since the budget's last event, itself
// included, and the ones after it wait for the first refusal of a later window.
const RESERVE_ATTEMPT_LUA = `
local counterKey = KEYS[1]
local refusalKey = KEYS[2]
local windowMs = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local refusalTtlMs = tonumber(ARGV[3])
-- Replies {0, 0} when it took an attempt, else {the ms until the window ends, the refusals to
-- tell now (0 when this one waits for a later window's event)}.
local count = tonumber(redis.call('GET', counterKey) or '0')
if count >= limit then
  local ttl = redis.call('PTTL', counterKey)
  if ttl <= 0 then ttl = windowMs end
  local untold = redis.call('HINCRBY', refusalKey, 'untold', 1)
  redis.call('PEXPIRE', refusalKey, refusalTtlMs)
  if redis.call('HSETNX', refusalKey, 'told', '1') == 0 then return {ttl, 0} end
  redis.call('HSET', refusalKey, 'untold', 0)
  return {ttl, untold}
end
if redis.call('INCR', counterKey) == 1 then
  redis.call('PEXPIRE', counterKey, windowMs)
  -- A new window: its first refusal is told.
  redis.call('HDEL', refusalKey, 'told')
end
return {0, 0}
`

// Hands an attempt back, only while its window lasts: a DECR after expiry would leave -1 forever.
const RELEASE_ATTEMPT_LUA = `
local counterKey = KEYS[1]
-- Replies 1.
if redis.call('EXISTS', counterKey) == 1 then redis.call('DECR', counterKey) end
return 1
`

export const reserveAttemptScript: LuaScript<ReserveAttemptKeys, ReserveAttemptArgs> = {
  command: 'attemptReserve',
  lua: RESERVE_ATTEMPT_LUA,
  keys: ['counterKey', 'refusalKey'],
  args: ['windowMs', 'limit', 'refusalTtlMs']
}

export const releaseAttemptScript: LuaScript<AttemptCounterKeys, Record<string, never>> = {
  command: 'attemptRelease',
  lua: RELEASE_ATTEMPT_LUA,
  keys: ['counterKey'],
  args: []
}

type ReserveAttemptReply = [waitMs: number, told: number]

declare module 'ioredis' {
  interface RedisCommander<Context> {
    attemptReserve: (...call: ScriptCall) => Result<ReserveAttemptReply, Context>
    attemptRelease: (...call: ScriptCall) => Result<1, Context>
  }
}

export function defineAttemptCommands (redis: RedisClient): void {
  defineLuaScripts(redis, [reserveAttemptScript, releaseAttemptScript])
}

export function reserveAttemptCall (keys: ReserveAttemptKeys, args: ReserveAttemptArgs): ScriptCall {
  return scriptCall(reserveAttemptScript, keys, args)
}

export function releaseAttemptCall (keys: AttemptCounterKeys): ScriptCall {
  return scriptCall(releaseAttemptScript, keys, {})
}

export interface ReservedAttempt {
  // How long the caller must wait: 0 when the attempt was reserved.
  waitMs: number
  // The refusals a rate_limited event tells now; 0 when none is told.
  told: number
}

export function decodeReserveAttemptReply ([waitMs, told]: ReserveAttemptReply): ReservedAttempt {
  return { waitMs, told }
}

// The key of a budget's refusals, `<prefix>{<counter key>}:refusals`: the whole counter key, prefix
// included, is its hash tag, so it lies in the counter's cluster slot (the counter key has no
// braces of its own: REDIS_KEY_PREFIX allows none), and it starts with the prefix like every key.
export function refusalKeyOf (counterKey: string, keyPrefix: string): string {
  return `${keyPrefix}{${counterKey}}:refusals`
}
