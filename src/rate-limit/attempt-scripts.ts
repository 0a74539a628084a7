import type { Result } from 'ioredis'
import type { RedisClient } from '../redis/redis-client.js'
import { defineLuaScripts, scriptCall, type LuaScript, type ScriptCall } from '../redis/lua-script.js'

// A budget as a script call names it: its counter key, and the key of its refusals
// (refusalKeyOf), which lies in the counter's cluster slot.
export interface BudgetKeys {
  counterKey: string
  refusalKey: string
}

export interface ReserveAttemptArgs {
  windowMs: number
  // How long untold refusals wait for the budget's next window with a refusal to be told in.
  refusalTtlMs: number
}

// Takes one attempt from each budget's fixed-window counter, unless none is left. A refusal is
// counted next to it, so that only the first refusal of a window is told (one rate_limited
// event) whichever instance it reaches: it tells the refusals counted since the budget's last
// event, itself included, and the ones after it wait for the first refusal of a later window.
// Each budget is decided alone, as if it had a call of its own: a budget with room keeps its
// attempt even when another refuses (the caller hands it back), so the one script serves a call
// per budget (a Redis Cluster, where budgets lie in different slots) and one call for all of them.
const RESERVE_ATTEMPTS_LUA = `
local windowMs = tonumber(ARGV[1])
local refusalTtlMs = tonumber(ARGV[2])
-- Per budget its counter key then its refusals key; its limit at the same place in limits.
local counterAndRefusalKeys = {unpack(KEYS, 1)}
local limits = {unpack(ARGV, 3)}
-- Replies per budget {0, 0} when it took an attempt, else {the ms until the window ends, the
-- refusals to tell now (0 when this one waits for a later window's event)}.
local function reserve (counterKey, refusalKey, limit)
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
end
local replies = {}
for i, limit in ipairs(limits) do
  replies[i] = reserve(counterAndRefusalKeys[2 * i - 1], counterAndRefusalKeys[2 * i], tonumber(limit))
end
return replies
`

// Hands an attempt back to each budget, only while its window lasts: a DECR after expiry would
// leave -1 forever.
const RELEASE_ATTEMPTS_LUA = `
local counterKeys = {unpack(KEYS, 1)}
-- Replies 1.
for _, counterKey in ipairs(counterKeys) do
  if redis.call('EXISTS', counterKey) == 1 then redis.call('DECR', counterKey) end
end
return 1
`

export const reserveAttemptScript: LuaScript<Record<string, never>, ReserveAttemptArgs> = {
  command: 'attemptReserve',
  lua: RESERVE_ATTEMPTS_LUA,
  keys: [],
  args: ['windowMs', 'refusalTtlMs'],
  restKeys: 'counterAndRefusalKeys',
  restArgs: 'limits'
}

export const releaseAttemptScript: LuaScript<Record<string, never>, Record<string, never>> = {
  command: 'attemptRelease',
  lua: RELEASE_ATTEMPTS_LUA,
  keys: [],
  args: [],
  restKeys: 'counterKeys'
}

type ReserveAttemptReply = Array<[waitMs: number, told: number]>

declare module 'ioredis' {
  interface RedisCommander<Context> {
    attemptReserve: (...call: ScriptCall) => Result<ReserveAttemptReply, Context>
    attemptRelease: (...call: ScriptCall) => Result<1, Context>
  }
}

export function defineAttemptCommands (redis: RedisClient): void {
  defineLuaScripts(redis, [reserveAttemptScript, releaseAttemptScript])
}

// A budget to reserve an attempt from: its keys and its limit.
export interface ReservedBudget extends BudgetKeys {
  limit: number
}

export function reserveAttemptCall (budgets: readonly ReservedBudget[], args: ReserveAttemptArgs): ScriptCall {
  return scriptCall(reserveAttemptScript, {}, args, {
    keys: budgets.flatMap((budget) => [budget.counterKey, budget.refusalKey]),
    args: budgets.map((budget) => String(budget.limit))
  })
}

export function releaseAttemptCall (counterKeys: readonly string[]): ScriptCall {
  return scriptCall(releaseAttemptScript, {}, {}, { keys: counterKeys })
}

export interface ReservedAttempt {
  // How long the caller must wait: 0 when the attempt was reserved.
  waitMs: number
  // The refusals a rate_limited event tells now; 0 when none is told.
  told: number
}

// One per budget, in the order of the call.
export function decodeReserveAttemptReply (replies: ReserveAttemptReply): ReservedAttempt[] {
  return replies.map(([waitMs, told]) => ({ waitMs, told }))
}

// The key of a budget's refusals, `<prefix>{<counter key>}:refusals`: the whole counter key, prefix
// included, is its hash tag, so it lies in the counter's cluster slot (the counter key has no
// braces of its own: REDIS_KEY_PREFIX allows none), and it starts with the prefix like every key.
export function refusalKeyOf (counterKey: string, keyPrefix: string): string {
  return `${keyPrefix}{${counterKey}}:refusals`
}
