import type { Result } from 'ioredis'
import { scriptCall, type LuaScript, type ScriptCall } from '../../redis/lua-script.js'

export interface CreateDeliveryGroupKeys {
  streamKey: string
}

export interface CreateDeliveryGroupArgs {
  group: string
}

// The webhook's consumer group, at the stream's end, with its read counter set (ENTRIESREAD) to
// the entries added so far: Redis leaves the counter unknown for a group made at `$`, and the
// count of the entries the cap trims before the webhook read them needs it (read-new-events.ts).
// One step, so no entry added in between is counted as read.
const CREATE_DELIVERY_GROUP_LUA = `
local streamKey = KEYS[1]
local group = ARGV[1]
-- Replies 1 when it created the group, 0 when the group was there.
local added = 0
if redis.call('EXISTS', streamKey) == 1 then
  local info = redis.call('XINFO', 'STREAM', streamKey)
  added = nil
  for i = 1, #info, 2 do if info[i] == 'entries-added' then added = info[i + 1] end end
end
local created
-- Redis 6 keeps no such counter, and knows no ENTRIESREAD.
if added == nil then
  created = redis.pcall('XGROUP', 'CREATE', streamKey, group, '$', 'MKSTREAM')
else
  created = redis.pcall('XGROUP', 'CREATE', streamKey, group, '$', 'MKSTREAM', 'ENTRIESREAD', added)
end
if type(created) == 'table' and created.err then
  if string.sub(created.err, 1, 9) == 'BUSYGROUP' then return 0 end
  return redis.error_reply(created.err)
end
return 1
`

export const createDeliveryGroupScript: LuaScript<CreateDeliveryGroupKeys, CreateDeliveryGroupArgs> = {
  command: 'eventsCreateDeliveryGroup',
  lua: CREATE_DELIVERY_GROUP_LUA,
  keys: ['streamKey'],
  args: ['group']
}

declare module 'ioredis' {
  interface RedisCommander<Context> {
    eventsCreateDeliveryGroup: (...call: ScriptCall) => Result<0 | 1, Context>
  }
}

export function createDeliveryGroupCall (keys: CreateDeliveryGroupKeys, args: CreateDeliveryGroupArgs): ScriptCall {
  return scriptCall(createDeliveryGroupScript, keys, args)
}
