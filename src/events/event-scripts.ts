import { defineLuaScripts, type RegisteredScript } from '../redis/lua-script.js'
import type { RedisClient } from '../redis/redis-client.js'
import { claimExpiredSessionScript } from './scripts/claim-expired-session.js'
import { createDeliveryGroupScript } from './scripts/create-delivery-group.js'
import { holdDeliveryLeaseScript } from './scripts/hold-delivery-lease.js'
import { readNewEventsScript } from './scripts/read-new-events.js'

// The Lua scripts of the session events, one file each in ./scripts.
export const EVENT_SCRIPTS: readonly RegisteredScript[] = [
  claimExpiredSessionScript, holdDeliveryLeaseScript, createDeliveryGroupScript, readNewEventsScript
]

export function defineEventCommands (redis: RedisClient): void {
  defineLuaScripts(redis, EVENT_SCRIPTS)
}
