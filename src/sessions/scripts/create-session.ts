import type { Result } from 'ioredis'
import { scriptCall, type LuaScript, type ScriptCall } from '../../redis/lua-script.js'
import type { DeclaredSession } from '../session-keys.js'
import { declaredSessionsRest } from './declared-sessions.js'
import { DEVICE_CAP_FUNCTION } from './device-cap-lua.js'
import { END_SESSION_FUNCTION } from './end-session-lua.js'

export interface CreateSessionKeys {
  sessionKey: string
  indexKey: string
  generationKey: string
  // The user's devices index (see device-cap-lua.ts); touched only for a session of a capped type.
  devicesKey: string
  // Exists while the user is banned: then nothing is stored.
  banKey: string
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
  // The session's deviceType when a rule caps that type ('' otherwise), its cap and what a login
  // beyond it does (end the oldest: false).
  cappedDeviceType: string
  maxOfType: number
  refuseNew: boolean
  // How long a tombstone lives when the ended session had no TTL (it always should have one).
  fallbackTtlMs: number
  // How many of the trailing arguments are the hash's fields; the declared sessions' ids follow.
  hashFieldCount: number
}

// Stores a login's session. The trim that drops the entries of sessions that ended on their own and
// keeps the index within the cap is the caller's next call: it must declare the session and
// tombstone keys of the entries it looks at, which only an index read can name, so this reply
// carries those entries, read in the same step. A user's only session needs no trim.
// Index entries closer than this are taken for logins in the same moment (see the script).
const SAME_MOMENT_MS = 1000

const CREATE_SESSION_LUA = `
local sessionKey = KEYS[1]
local indexKey = KEYS[2]
local generationKey = KEYS[3]
local devicesKey = KEYS[4]
local banKey = KEYS[5]
local sessionAndTombstoneKeys = {unpack(KEYS, 6)}
local ttlMs = tonumber(ARGV[1])
local loginAt = ARGV[2]
local sessionId = ARGV[3]
local generationRead = ARGV[4]
local indexSlackMs = tonumber(ARGV[5])
local indexScanLimit = tonumber(ARGV[6])
local cappedDeviceType = ARGV[7]
local maxOfType = tonumber(ARGV[8])
local refuseNew = ARGV[9] == '1'
local fallbackTtlMs = tonumber(ARGV[10])
local hashFieldCount = tonumber(ARGV[11])
local hashFieldsThenSessionIds = {unpack(ARGV, 12)}
${END_SESSION_FUNCTION}
${DEVICE_CAP_FUNCTION}
-- Replies {status ('created'; 'generation_moved', 'stale' or 'full' when nothing was stored), the
-- oldest indexScanLimit index entries when the index holds others than this session (a trim can
-- then do something), else none, the ids of the sessions of its type this login replaced}, and
-- for a banned user ('banned') a fourth element, the ban.
-- Read here, in the step that stores the session, so that a login racing a ban either finds it
-- or stores its session before the ban's revoke-all walks the index, which then ends it.
local ban = redis.call('GET', banKey)
if ban then return {'banned', {}, {}, ban} end
-- A revoke-all since the password check (a password change, say) bumped the generation:
-- this login checked credentials that may no longer hold, so it must not create a session.
if (redis.call('GET', generationKey) or '0') ~= generationRead then return {'generation_moved', {}, {}} end
-- Logins of one user within the same millisecond (a backend starting sessions back to back)
-- score one after another, so that the cap ends the sessions in the order they began, not by
-- their random ids. Only a newest entry less than a second ahead moves the score: clocks of
-- instances that far apart are not the same millisecond.
local newest = redis.call('ZRANGE', indexKey, -1, -1, 'WITHSCORES')[2]
if newest and tonumber(newest) >= tonumber(loginAt) and tonumber(newest) - tonumber(loginAt) < ${SAME_MOMENT_MS} then
  loginAt = tostring(tonumber(newest) + 1)
end
local replaced = {}
if cappedDeviceType ~= '' then
  local declared = {}
  for i = hashFieldCount + 1, #hashFieldsThenSessionIds do
    local n = i - hashFieldCount
    declared[n] = {id = hashFieldsThenSessionIds[i], sessionKey = sessionAndTombstoneKeys[2 * n - 1], tombstoneKey = sessionAndTombstoneKeys[2 * n]}
  end
  local status
  status, replaced = applyDeviceCap(devicesKey, indexKey, cappedDeviceType .. ':', maxOfType, refuseNew, declared, fallbackTtlMs)
  if status ~= 'ok' then return {status, {}, {}} end
  redis.call('ZADD', devicesKey, loginAt, cappedDeviceType .. ':' .. sessionId)
  if redis.call('PTTL', devicesKey) < ttlMs then redis.call('PEXPIRE', devicesKey, ttlMs + indexSlackMs) end
end
redis.call('HSET', sessionKey, unpack(hashFieldsThenSessionIds, 1, hashFieldCount))
redis.call('PEXPIRE', sessionKey, ttlMs)
redis.call('ZADD', indexKey, loginAt, sessionId)
-- The index must outlive every session it lists, or revoke-all would miss one.
if redis.call('PTTL', indexKey) < ttlMs then redis.call('PEXPIRE', indexKey, ttlMs + indexSlackMs) end
local toTrim = {}
if redis.call('ZCARD', indexKey) > 1 then toTrim = redis.call('ZRANGE', indexKey, 0, indexScanLimit - 1) end
return {'created', toTrim, replaced}
`

export const createSessionScript: LuaScript<CreateSessionKeys, CreateSessionArgs> = {
  command: 'sessionCreate',
  lua: CREATE_SESSION_LUA,
  keys: ['sessionKey', 'indexKey', 'generationKey', 'devicesKey', 'banKey'],
  args: [
    'ttlMs', 'loginAt', 'sessionId', 'generationRead', 'indexSlackMs', 'indexScanLimit', 'cappedDeviceType', 'maxOfType',
    'refuseNew', 'fallbackTtlMs', 'hashFieldCount'
  ],
  restKeys: 'sessionAndTombstoneKeys',
  restArgs: 'hashFieldsThenSessionIds'
}

type CreateSessionStatus = 'created' | 'generation_moved' | 'stale' | 'full' | 'banned'
type CreateSessionReply = [status: CreateSessionStatus, toTrim: string[], replaced: string[], ban?: string]

declare module 'ioredis' {
  interface RedisCommander<Context> {
    sessionCreate: (...call: ScriptCall) => Result<CreateSessionReply, Context>
  }
}

// `hashFields`: the field/value pairs of the new session's hash; `ofItsType`: the sessions of its
// capped device type that the devices index listed (none for a session of no capped type).
export function createSessionCall (
  keys: CreateSessionKeys, args: Omit<CreateSessionArgs, 'hashFieldCount'>, hashFields: readonly string[], ofItsType: readonly DeclaredSession[]
): ScriptCall {
  const declared = declaredSessionsRest(ofItsType)
  return scriptCall(createSessionScript, keys, { ...args, hashFieldCount: hashFields.length }, {
    keys: declared.keys,
    args: [...hashFields, ...declared.args ?? []]
  })
}

// `toTrim`: the oldest index entries, oldest first, for a trim to look at (empty: no trim needed).
// `replaced`: the sessions of its device type it ended. Not created: `stale`, the caller declared
// too few sessions of the type and tries again; `full`, the type's cap refuses new sessions;
// `banned`, the user is banned (`ban`: the ban key's value).
export type CreatedSession =
  | { created: true, toTrim: string[], replaced: string[] }
  | { created: false, status: Exclude<CreateSessionStatus, 'created' | 'banned'> }
  | { created: false, status: 'banned', ban: string }

export function decodeCreateSessionReply ([status, toTrim, replaced, ban]: CreateSessionReply): CreatedSession {
  if (status === 'created') return { created: true, toTrim, replaced }
  return status === 'banned' ? { created: false, status, ban: ban ?? '' } : { created: false, status }
}
