import type { Redis, Result } from 'ioredis'

// Lua scripts keep every multi-key update atomic: a revoke cannot interleave with a touch
// that would otherwise re-extend a key being deleted, and the index never disagrees with
// the sessions for longer than one script. Keys built inside a script share the user's
// hash tag, so they live in the same cluster slot as the declared keys.

const CREATE_SESSION = `
-- KEYS[1] session hash, KEYS[2] user's index, KEYS[3] user's session generation
-- ARGV[1] ttl ms, ARGV[2] login time ms, ARGV[3] session id, ARGV[4] session key prefix,
-- ARGV[5] generation read before the password was checked, ARGV[6] index TTL slack ms,
-- ARGV[7..] field/value pairs of the hash
-- A revoke-all since the password check (a password change, say) bumped the generation:
-- this login checked credentials that may no longer hold, so it must not create a session.
if (redis.call('GET', KEYS[3]) or '0') ~= ARGV[5] then return 0 end
local ttl = tonumber(ARGV[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 7))
redis.call('PEXPIRE', KEYS[1], ttl)
-- Idle sessions vanish without telling the index; drop their entries while we are here.
for _, id in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  if redis.call('EXISTS', ARGV[4] .. id) == 0 then redis.call('ZREM', KEYS[2], id) end
end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
-- The index must outlive every session it lists, or revoke-all would miss one.
if redis.call('PTTL', KEYS[2]) < ttl then redis.call('PEXPIRE', KEYS[2], ttl + tonumber(ARGV[6])) end
return 1
`

// How long a session key near its absolute deadline outlives it: far more than a request takes
// from reading the clock to running the script.
const DEADLINE_MARGIN_MS = 1000

const TOUCH_SESSION = `
-- KEYS[1] session hash, KEYS[2] user's index, KEYS[3] tombstone
-- ARGV[1] ttl ms (0: do not extend), ARGV[2] now ms, ARGV[3] lastSeenAt resolution ms,
-- ARGV[4] index TTL slack ms, ARGV[5] the token's iat (s), ARGV[6] reissue after (s, 0: never),
-- ARGV[7] grace ms for the token a reissue replaced, ARGV[8] slide interval ms,
-- ARGV[9] '1' when ARGV[1] is the time left to the absolute deadline rather than the full TTL
-- Returns {0, reason} for an ended session, {2} for a replaced token, or {1, account,
-- iat of the token to hand out (0: keep the presented one), the session's PTTL after this call,
-- iat of the session's current token (0: not tracked)}.
local session = redis.call('HMGET', KEYS[1], 'account', 'lastSeenAt', 'tokenIat', 'previousTokenIat', 'renewedAt')
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
  redis.call('HSET', KEYS[1], 'tokenIat', handOut, 'previousTokenIat', iat, 'renewedAt', now)
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
  redis.call('HSET', KEYS[1], 'lastSeenAt', ARGV[2])
end
local currentIat = current or 0
if handOut > 0 then currentIat = handOut end
return {1, account, handOut, pttl, currentIat}
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

const REVOKE_SESSION = `
-- KEYS[1] session hash, KEYS[2] user's index, KEYS[3] tombstone
-- ARGV[1] session id, ARGV[2] reason, ARGV[3] tombstone ttl ms for a key without a TTL
redis.call('ZREM', KEYS[2], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl == -2 then return 0 end
if ttl == -1 then ttl = tonumber(ARGV[3]) end
-- PTTL can read 0 in the key's last millisecond; SET refuses PX 0.
if ttl == 0 then ttl = 1 end
redis.call('DEL', KEYS[1])
-- The reason is kept only as long as the session would have lived anyway.
redis.call('SET', KEYS[3], ARGV[2], 'PX', ttl)
return 1
`

const REVOKE_ALL_SESSIONS = `
-- KEYS[1] user's index, KEYS[2] user's session generation
-- ARGV[1] session key prefix, ARGV[2] tombstone key prefix, ARGV[3] reason,
-- ARGV[4] device id to match ('' = every device), ARGV[5] tombstone ttl ms for a key without a TTL,
-- ARGV[6] generation ttl ms
local revoked = 0
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local key = ARGV[1] .. id
  local ttl = redis.call('PTTL', key)
  if ttl == -2 then
    redis.call('ZREM', KEYS[1], id)
  elseif ARGV[4] == '' or redis.call('HGET', key, 'deviceId') == ARGV[4] then
    if ttl == -1 then ttl = tonumber(ARGV[5]) end
    if ttl == 0 then ttl = 1 end
    redis.call('DEL', key)
    redis.call('SET', ARGV[2] .. id, ARGV[3], 'PX', ttl)
    redis.call('ZREM', KEYS[1], id)
    revoked = revoked + 1
  end
end
-- Ending every session is a cut-off: logins whose password check began before it fail to
-- create their session (see CREATE_SESSION).
if ARGV[4] == '' then
  redis.call('INCR', KEYS[2])
  redis.call('PEXPIRE', KEYS[2], ARGV[6])
end
return revoked
`

declare module 'ioredis' {
  interface RedisCommander<Context> {
    sessionCreate: (
      sessionKey: string, indexKey: string, generationKey: string,
      ttlMs: number, loginAt: number, sessionId: string, sessionPrefix: string,
      generation: string, indexSlackMs: number, ...fields: string[]
    ) => Result<number, Context>
    sessionTouch: (
      sessionKey: string, indexKey: string, tombstoneKey: string,
      ttlMs: number, nowMs: number, lastSeenResolutionMs: number, indexSlackMs: number,
      tokenIat: number, reissueAfterSeconds: number, reissueGraceMs: number, slideEveryMs: number,
      ttlIsDeadline: '1' | '0'
    ) => Result<[0, string] | [1, string, number, number, number] | [2], Context>
    sessionResume: (
      sessionKey: string, indexKey: string, tombstoneKey: string,
      ttlMs: number, loginAt: number, sessionId: string, indexSlackMs: number, ...fields: string[]
    ) => Result<string, Context>
    sessionRevoke: (
      sessionKey: string, indexKey: string, tombstoneKey: string,
      sessionId: string, reason: string, fallbackTtlMs: number
    ) => Result<number, Context>
    sessionRevokeAll: (
      indexKey: string, generationKey: string, sessionPrefix: string, tombstonePrefix: string,
      reason: string, deviceId: string, fallbackTtlMs: number, generationTtlMs: number
    ) => Result<number, Context>
  }
}

// defineCommand sends EVALSHA and falls back to EVAL after a Redis restart emptied the cache.
export function defineSessionCommands (redis: Redis): void {
  if (typeof redis.sessionTouch === 'function') return
  redis.defineCommand('sessionCreate', { numberOfKeys: 3, lua: CREATE_SESSION })
  redis.defineCommand('sessionTouch', { numberOfKeys: 3, lua: TOUCH_SESSION })
  redis.defineCommand('sessionResume', { numberOfKeys: 3, lua: RESUME_SESSION })
  redis.defineCommand('sessionRevoke', { numberOfKeys: 3, lua: REVOKE_SESSION })
  redis.defineCommand('sessionRevokeAll', { numberOfKeys: 2, lua: REVOKE_ALL_SESSIONS })
}
