import type { Redis, Result } from 'ioredis'
import { luaFieldNames, type SessionField } from './session-fields.js'

// Lua scripts keep every multi-key update atomic: a revoke cannot interleave with a touch
// that would otherwise re-extend a key being deleted, and the index never disagrees with
// the sessions for longer than one script. Keys built inside a script share the user's
// hash tag, so they live in the same cluster slot as the declared keys.

// Ends one session and leaves its tombstone, which lives only as long as the session would have.
const END_SESSION_FUNCTION = `
local function endSession (sessionKey, tombstoneKey, reason, fallbackTtl)
  local ttl = redis.call('PTTL', sessionKey)
  if ttl == -2 then return 0 end
  if ttl == -1 then ttl = fallbackTtl end
  -- PTTL can read 0 in the key's last millisecond; SET refuses PX 0.
  if ttl == 0 then ttl = 1 end
  redis.call('DEL', sessionKey)
  redis.call('SET', tombstoneKey, reason, 'PX', ttl)
  return 1
end
`

// Idle sessions vanish without telling the index. This drops their entries and, beyond the
// cap, ends the oldest live sessions (reason 'evicted'), looking at no more than `scanLimit`
// of the oldest entries, so one call never does work that grows with a user's session count.
// Returns the entries still over the cap (a later call goes on) and the evicted session ids.
const TRIM_INDEX_FUNCTION = `${END_SESSION_FUNCTION}
local function trimIndex (index, sessionPrefix, tombstonePrefix, cap, scanLimit, keep, fallbackTtl)
  local live = {}
  for _, id in ipairs(redis.call('ZRANGE', index, 0, scanLimit - 1)) do
    if redis.call('EXISTS', sessionPrefix .. id) == 0 then
      redis.call('ZREM', index, id)
    elseif id ~= keep then
      live[#live + 1] = id
    end
  end
  local evicted = {}
  if cap == 0 then return 0, evicted end
  local excess = redis.call('ZCARD', index) - cap
  for i = 1, math.min(excess, #live) do
    local id = live[i]
    endSession(sessionPrefix .. id, tombstonePrefix .. id, 'evicted', fallbackTtl)
    redis.call('ZREM', index, id)
    evicted[#evicted + 1] = id
  end
  return math.max(0, excess - #evicted), evicted
end
`

// The reply of the scripts that trim: {entries still over the cap, evicted session ids...}.
const TRIM_REPLY = `
local overCap, evicted = trimIndex(index, sessionPrefix, tombstonePrefix, cap, scanLimit, keep, fallbackTtl)
local reply = {overCap}
for _, id in ipairs(evicted) do reply[#reply + 1] = id end
return reply
`

// The trim's own arguments come first in both scripts that trim, named once here.
const TRIM_ARGUMENTS = `
local sessionPrefix = ARGV[1]
local tombstonePrefix = ARGV[2]
local cap = tonumber(ARGV[3])
local scanLimit = tonumber(ARGV[4])
local fallbackTtl = tonumber(ARGV[5])
`

const CREATE_SESSION = `${TRIM_INDEX_FUNCTION}${TRIM_ARGUMENTS}
local sessionKey, index, generationKey = KEYS[1], KEYS[2], KEYS[3]
local ttl = tonumber(ARGV[6])
local loginAt = ARGV[7]
local sessionId = ARGV[8]
local generationRead = ARGV[9]
local indexSlackMs = tonumber(ARGV[10])
local keep = sessionId
-- ARGV[11..]: the field/value pairs of the session hash.
-- A revoke-all since the password check (a password change, say) bumped the generation:
-- this login checked credentials that may no longer hold, so it must not create a session.
-- Replies {-1} then, else the trim reply.
if (redis.call('GET', generationKey) or '0') ~= generationRead then return {-1} end
redis.call('HSET', sessionKey, unpack(ARGV, 11))
redis.call('PEXPIRE', sessionKey, ttl)
redis.call('ZADD', index, loginAt, sessionId)
-- The index must outlive every session it lists, or revoke-all would miss one.
if redis.call('PTTL', index) < ttl then redis.call('PEXPIRE', index, ttl + indexSlackMs) end
${TRIM_REPLY}`

// Goes on where a login's trim stopped: only an index that grew past the cap before the cap
// existed (or was lowered) needs more than the login's own call.
const TRIM_SESSIONS = `${TRIM_INDEX_FUNCTION}${TRIM_ARGUMENTS}
local index = KEYS[1]
local keep = ''
${TRIM_REPLY}`

// How long a session key near its absolute deadline outlives it: far more than a request takes
// from reading the clock to running the script.
const DEADLINE_MARGIN_MS = 1000

// What the touch script reads of a session, in the order of its HMGET.
const TOUCHED_FIELDS: readonly SessionField[] = ['account', 'lastSeenAt', 'tokenIat', 'previousTokenIat', 'renewedAt', 'userType']

const TOUCH_SESSION = `
-- KEYS[1] session hash, KEYS[2] user's index, KEYS[3] tombstone
-- ARGV[1] ttl ms (0: do not extend), ARGV[2] now ms, ARGV[3] lastSeenAt resolution ms,
-- ARGV[4] index TTL slack ms, ARGV[5] the token's iat (s), ARGV[6] reissue after (s, 0: never),
-- ARGV[7] grace ms for the token a reissue replaced, ARGV[8] slide interval ms,
-- ARGV[9] '1' when ARGV[1] is the time left to the absolute deadline rather than the full TTL
-- Returns {0, reason} for an ended session, {2} for a replaced token, or {1, account,
-- iat of the token to hand out (0: keep the presented one), the session's PTTL after this call,
-- iat of the session's current token (0: not tracked), the user type stored with the session}.
local accountField, lastSeenField, tokenIatField, previousIatField, renewedField, userTypeField = ${luaFieldNames(TOUCHED_FIELDS)}
local session = redis.call('HMGET', KEYS[1], accountField, lastSeenField, tokenIatField, previousIatField, renewedField, userTypeField)
if not session[1] then
  -- A session stored with the long field names is read, and written below, in those.
  accountField, lastSeenField, tokenIatField, previousIatField, renewedField, userTypeField = ${luaFieldNames(TOUCHED_FIELDS, 'long')}
  session = redis.call('HMGET', KEYS[1], accountField, lastSeenField, tokenIatField, previousIatField, renewedField, userTypeField)
end
local account = session[1]
if not account then
  return {0, redis.call('GET', KEYS[3]) or 'expired'}
end
local now = tonumber(ARGV[2])
local iat = tonumber(ARGV[5])
local current = tonumber(session[3])
local handOut = 0
if current and iat ~= current then
  -- Only the token the last reissue replaced still works, and only for the grace window, so
  -- requests already in flight with it succeed (and learn the new one).
  if iat ~= tonumber(session[4]) or now - tonumber(session[5]) > tonumber(ARGV[7]) then return {2} end
  handOut = current
end
local reissueAfter = tonumber(ARGV[6])
if handOut == 0 and reissueAfter > 0 and now >= (iat + reissueAfter) * 1000 then
  -- Decided here, atomically, so concurrent requests with the same old token share one new token.
  handOut = math.floor(now / 1000)
  redis.call('HSET', KEYS[1], tokenIatField, handOut, previousIatField, iat, renewedField, now)
end
local ttl = tonumber(ARGV[1])
local slide = tonumber(ARGV[8])
local pttl = redis.call('PTTL', KEYS[1])
-- The slide is throttled: a write reaches every near-cache as an invalidation, so a session is
-- extended only once it has lost a slide interval of its TTL, not on every request. A TTL above
-- the setting (it was lowered since) is brought down to it.
local target, lowest = ttl, ttl - slide
if ARGV[9] == '1' then
  -- Near the absolute deadline: kept a moment past it, so the key never expires first (the
  -- token's claims refuse the session from the deadline on, with the right reason), and written
  -- once rather than on every request as the time left shrinks.
  target, lowest = ttl + ${DEADLINE_MARGIN_MS}, ttl - 1
end
if ttl > 0 and (pttl <= lowest or pttl > target + slide) then
  redis.call('PEXPIRE', KEYS[1], target)
  pttl = target
  -- Extended with slack, so that this write too happens rarely rather than on every request.
  if redis.call('PTTL', KEYS[2]) < target then redis.call('PEXPIRE', KEYS[2], target + tonumber(ARGV[4])) end
end
-- A session list needs "last seen" to the minute, not to the request: most requests skip this write.
if not session[2] or now - tonumber(session[2]) >= tonumber(ARGV[3]) then
  redis.call('HSET', KEYS[1], lastSeenField, ARGV[2])
end
local currentIat = current or 0
if handOut > 0 then currentIat = handOut end
return {1, account, handOut, pttl, currentIat, session[6] or ''}
`

const RESUME_SESSION = `
-- KEYS[1] session hash, KEYS[2] user's index, KEYS[3] tombstone
-- ARGV[1] ttl ms, ARGV[2] login time ms, ARGV[3] session id, ARGV[4] index TTL slack ms,
-- ARGV[5..] field/value pairs of the hash. Returns 'alive', or the reason the session ended.
-- For refresh tokens kept outside Redis: they may outlive a Redis that lost its data, and
-- then bring their session back. A tombstone means it was ended on purpose: never revive it.
if redis.call('EXISTS', KEYS[1]) == 0 then
  local reason = redis.call('GET', KEYS[3])
  if reason then return reason end
  redis.call('HSET', KEYS[1], unpack(ARGV, 5))
  redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
end
local ttl = tonumber(ARGV[1])
redis.call('PEXPIRE', KEYS[1], ttl)
if redis.call('PTTL', KEYS[2]) < ttl then redis.call('PEXPIRE', KEYS[2], ttl + tonumber(ARGV[4])) end
return 'alive'
`

const REVOKE_SESSION = `${END_SESSION_FUNCTION}
local sessionKey, index, tombstoneKey = KEYS[1], KEYS[2], KEYS[3]
local sessionId = ARGV[1]
local reason = ARGV[2]
local fallbackTtl = tonumber(ARGV[3])
redis.call('ZREM', index, sessionId)
return endSession(sessionKey, tombstoneKey, reason, fallbackTtl)
`

// One batch of a revoke-all: the index is walked with ZSCAN, which returns every entry that
// stays in it throughout, whatever is added or removed meanwhile, and does a bounded amount
// of work per call. Called until the cursor comes back '0'.
const REVOKE_ALL_SESSIONS_BATCH = `${END_SESSION_FUNCTION}
-- Under its one-letter name, or its long one in a session stored with those.
local function deviceOf (key)
  local device = redis.call('HMGET', key, ${luaFieldNames(['deviceId'])}, ${luaFieldNames(['deviceId'], 'long')})
  return device[1] or device[2]
end
local index, generationKey = KEYS[1], KEYS[2]
local sessionPrefix = ARGV[1]
local tombstonePrefix = ARGV[2]
local reason = ARGV[3]
-- '' = every device.
local deviceId = ARGV[4]
local fallbackTtl = tonumber(ARGV[5])
local generationTtlMs = ARGV[6]
local cursor = ARGV[7]
local batchSize = ARGV[8]
-- Returns {next cursor ('0': done), sessions ended by this batch}.
-- Ending every session is a cut-off, made before the first batch: logins whose password check
-- began before it fail to create their session (see CREATE_SESSION).
if cursor == '0' and deviceId == '' then
  redis.call('INCR', generationKey)
  redis.call('PEXPIRE', generationKey, generationTtlMs)
end
local scan = redis.call('ZSCAN', index, cursor, 'COUNT', batchSize)
local entries = scan[2]
local revoked = 0
-- ZSCAN replies member, score, member, score...
for i = 1, #entries, 2 do
  local id = entries[i]
  local key = sessionPrefix .. id
  if redis.call('EXISTS', key) == 0 then
    redis.call('ZREM', index, id)
  elseif deviceId == '' or deviceOf(key) == deviceId then
    revoked = revoked + endSession(key, tombstonePrefix .. id, reason, fallbackTtl)
    redis.call('ZREM', index, id)
  end
end
return {scan[1], revoked}
`

// Entries of the index still over the cap, then the ids of the sessions the call evicted.
export type TrimReply = [number, ...string[]]
export type TrimArguments = [
  sessionPrefix: string, tombstonePrefix: string, maxSessions: number, indexScanLimit: number, fallbackTtlMs: number
]

declare module 'ioredis' {
  interface RedisCommander<Context> {
    sessionCreate: (...args: [
      sessionKey: string, indexKey: string, generationKey: string, ...trim: TrimArguments,
      ttlMs: number, loginAt: number, sessionId: string, generation: string, indexSlackMs: number,
      ...fields: string[]
    ]) => Result<TrimReply | [-1], Context>
    sessionTrim: (indexKey: string, ...trim: TrimArguments) => Result<TrimReply, Context>
    sessionTouch: (
      sessionKey: string, indexKey: string, tombstoneKey: string,
      ttlMs: number, nowMs: number, lastSeenResolutionMs: number, indexSlackMs: number,
      tokenIat: number, reissueAfterSeconds: number, reissueGraceMs: number, slideEveryMs: number,
      ttlIsDeadline: '1' | '0'
    ) => Result<[0, string] | [1, string, number, number, number, string] | [2], Context>
    sessionResume: (
      sessionKey: string, indexKey: string, tombstoneKey: string,
      ttlMs: number, loginAt: number, sessionId: string, indexSlackMs: number, ...fields: string[]
    ) => Result<string, Context>
    sessionRevoke: (
      sessionKey: string, indexKey: string, tombstoneKey: string,
      sessionId: string, reason: string, fallbackTtlMs: number
    ) => Result<number, Context>
    sessionRevokeAllBatch: (
      indexKey: string, generationKey: string, sessionPrefix: string, tombstonePrefix: string,
      reason: string, deviceId: string, fallbackTtlMs: number, generationTtlMs: number,
      cursor: string, batchSize: number
    ) => Result<[string, number], Context>
  }
}

// defineCommand sends EVALSHA and falls back to EVAL after a Redis restart emptied the cache.
export function defineSessionCommands (redis: Redis): void {
  if (typeof redis.sessionTouch === 'function') return
  redis.defineCommand('sessionCreate', { numberOfKeys: 3, lua: CREATE_SESSION })
  redis.defineCommand('sessionTrim', { numberOfKeys: 1, lua: TRIM_SESSIONS })
  redis.defineCommand('sessionTouch', { numberOfKeys: 3, lua: TOUCH_SESSION })
  redis.defineCommand('sessionResume', { numberOfKeys: 3, lua: RESUME_SESSION })
  redis.defineCommand('sessionRevoke', { numberOfKeys: 3, lua: REVOKE_SESSION })
  redis.defineCommand('sessionRevokeAllBatch', { numberOfKeys: 2, lua: REVOKE_ALL_SESSIONS_BATCH })
}
