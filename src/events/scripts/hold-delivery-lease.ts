import type { Result } from 'ioredis'
import { scriptCall, type LuaScript, type ScriptCall } from '../../redis/lua-script.js'

export interface HoldDeliveryLeaseKeys {
  leaseKey: string
}

export interface HoldDeliveryLeaseArgs {
  holder: string
  leaseMs: number
}

// One instance at a time posts the webhook, so that events arrive in the stream's order. Taking
// a free lease and extending one's own are one step, or two instances could both think they hold it.
const HOLD_DELIVERY_LEASE_LUA = `
local leaseKey = KEYS[1]
local holder = ARGV[1]
local leaseMs = tonumber(ARGV[2])
-- Replies 1 when holder now holds the lease for leaseMs, 0 when another instance holds it.
local current = redis.call('GET', leaseKey)
if current and current ~= holder then return 0 end
redis.call('SET', leaseKey, holder, 'PX', leaseMs)
return 1
`

export const holdDeliveryLeaseScript: LuaScript<HoldDeliveryLeaseKeys, HoldDeliveryLeaseArgs> = {
  command: 'eventsHoldDeliveryLease',
  lua: HOLD_DELIVERY_LEASE_LUA,
  keys: ['leaseKey'],
  args: ['holder', 'leaseMs']
}

declare module 'ioredis' {
  interface RedisCommander<Context> {
    eventsHoldDeliveryLease: (...call: ScriptCall) => Result<0 | 1, Context>
  }
}

export function holdDeliveryLeaseCall (keys: HoldDeliveryLeaseKeys, args: HoldDeliveryLeaseArgs): ScriptCall {
  return scriptCall(holdDeliveryLeaseScript, keys, args)
}
