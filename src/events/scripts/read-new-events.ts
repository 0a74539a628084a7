import type { Result } from 'ioredis'
import { scriptCall, type LuaScript, type ScriptCall } from '../../redis/lua-script.js'

export interface ReadNewEventsKeys {
  streamKey: string
}

export interface ReadNewEventsArgs {
  group: string
  consumer: string
  count: number
}

// The stream is capped (XADD MAXLEN ~): entries the webhook has not read yet can be trimmed
// away, and XREADGROUP > then goes on from the first entry left without a word. Before reading,
// this compares the group's last-read entry with the stream's first: when the first is later,
// the entries Redis trimmed (entries-added - length) beyond those the group read (its read
// counter) were never delivered. The counter is then set to what it is, since Redis would only
// add one for the next entry read. One step with the read, so no trim slips in between.
const READ_NEW_EVENTS_LUA = `
local streamKey = KEYS[1]
local group = ARGV[1]
local consumer = ARGV[2]
local count = tonumber(ARGV[3])
-- Replies {entries trimmed unread (-1: some may have been, Redis cannot tell how many), the
-- group's last-delivered id before the read, the entries read}.
local function field (reply, name)
  for i = 1, #reply, 2 do if reply[i] == name then return reply[i + 1] end end
  return nil
end
local function isBefore (id, other)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  local otherMs, otherSeq = string.match(other, '^(%d+)-(%d+)$')
  if tonumber(ms) ~= tonumber(otherMs) then return tonumber(ms) < tonumber(otherMs) end
  return tonumber(seq) < tonumber(otherSeq)
end
local groupInfo = nil
for _, candidate in ipairs(redis.call('XINFO', 'GROUPS', streamKey)) do
  if field(candidate, 'name') == group then groupInfo = candidate end
end
if groupInfo == nil then return redis.error_reply('NOGROUP no webhook consumer group on ' .. streamKey) end
local lastId = field(groupInfo, 'last-delivered-id')
local entriesRead = field(groupInfo, 'entries-read')
local stream = redis.call('XINFO', 'STREAM', streamKey)
local first = field(stream, 'first-entry')
local lost = 0
if first and isBefore(lastId, first[1]) then
  local added = field(stream, 'entries-added')
  if added == nil then
    lost = -1
  else
    local trimmed = added - field(stream, 'length')
    if entriesRead then lost = math.max(0, trimmed - entriesRead) else lost = -1 end
    if lost ~= 0 then redis.call('XGROUP', 'SETID', streamKey, group, lastId, 'ENTRIESREAD', trimmed) end
  end
end
local read = redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', count, 'STREAMS', streamKey, '>')
local entries = {}
if read then entries = read[1][2] end
return {lost, lastId, entries}
`

export const readNewEventsScript: LuaScript<ReadNewEventsKeys, ReadNewEventsArgs> = {
  command: 'eventsReadNewEvents',
  lua: READ_NEW_EVENTS_LUA,
  keys: ['streamKey'],
  args: ['group', 'consumer', 'count']
}

type StreamEntries = Array<[id: string, fields: string[]]>
type ReadNewEventsReply = [lost: number, lastDeliveredId: string, entries: StreamEntries]

declare module 'ioredis' {
  interface RedisCommander<Context> {
    eventsReadNewEvents: (...call: ScriptCall) => Result<ReadNewEventsReply, Context>
  }
}

export function readNewEventsCall (keys: ReadNewEventsKeys, args: ReadNewEventsArgs): ScriptCall {
  return scriptCall(readNewEventsScript, keys, args)
}

export interface NewEvents {
  // Entries the cap removed before the webhook read them; undefined when Redis cannot tell.
  trimmedUnread: number | undefined
  lastDeliveredId: string
  entries: StreamEntries
}

export function decodeReadNewEventsReply ([lost, lastDeliveredId, entries]: ReadNewEventsReply): NewEvents {
  return { trimmedUnread: lost === -1 ? undefined : lost, lastDeliveredId, entries }
}
