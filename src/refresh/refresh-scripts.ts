import type { Redis, Result } from 'ioredis'
import { luaFieldNames } from '../sessions/session-fields.js'

// The Redis refresh store keeps a family inside its session hash (fields refresh*), so that
// checking the session, retiring the old token and storing the new one is one atomic script,
// and every way of ending a session ends its refresh tokens with it.

const ISSUE_REFRESH_TOKEN = `
-- KEYS[1] session hash; ARGV[1] digest, ARGV[2] issued at ms, ARGV[3] expires at ms
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'refreshDigest', ARGV[1], 'refreshIssuedAt', ARGV[2], 'refreshExpiresAt', ARGV[3])
return 1
`

const ROTATE_REFRESH_TOKEN = `
-- KEYS[1] session hash, KEYS[2] user's index, KEYS[3] tombstone
-- ARGV[1] presented digest, ARGV[2] successor digest, ARGV[3] now ms, ARGV[4] refresh TTL ms,
-- ARGV[5] '1' when a rotation extends the expiry, ARGV[6] reuse grace ms, ARGV[7] minimum
-- interval ms, ARGV[8] max lifetime ms (0: none), ARGV[9] index TTL slack ms, ARGV[10] session id
local s = redis.call('HMGET', KEYS[1], ${luaFieldNames(['loginAt', 'userType'])}, 'refreshDigest', 'refreshIssuedAt',
  'refreshExpiresAt', 'previousRefreshDigest', 'refreshRotatedAt', 'refreshRotations')
if not s[1] then
  -- A session stored with the long field names (the refresh fields have kept theirs).
  local legacy = redis.call('HMGET', KEYS[1], ${luaFieldNames(['loginAt', 'userType'], 'long')})
  s[1], s[2] = legacy[1], legacy[2]
end
if not s[1] then
  local reason = redis.call('GET', KEYS[3])
  if reason then return {'ended', reason} end
  return {'unknown'}
end
local isCurrent = ARGV[1] == s[3]
local isPrevious = ARGV[1] == s[6]
-- Not one of the two it keeps: the caller checks whether it is an older token of this family.
if not isCurrent and not isPrevious then return {'unknown', s[6] or '', s[8] or '0', s[7] or '0'} end
local now = tonumber(ARGV[3])
local maxLifetime = tonumber(ARGV[8])
-- From the login second, as tokens count it (auth_time), so that both agree on the deadline.
if maxLifetime > 0 and now >= math.floor(tonumber(s[1]) / 1000) * 1000 + maxLifetime then
  return {'ended', 'max_lifetime'}
end
if isPrevious then
  if now - tonumber(s[7]) <= tonumber(ARGV[6]) then
    -- The same rotation's times: the caller rebuilds the very same successor pair.
    return {'replayed', s[2], s[1], s[7], s[5]}
  end
  -- A retired token after the grace window: one of its two holders is a thief. End the family.
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl <= 0 then ttl = 1 end
  redis.call('DEL', KEYS[1])
  redis.call('SET', KEYS[3], 'refresh_reused', 'PX', ttl)
  redis.call('ZREM', KEYS[2], ARGV[10])
  return {'reused'}
end
if tonumber(s[5]) <= now then return {'unknown'} end
local sinceIssued = now - tonumber(s[4])
local minInterval = tonumber(ARGV[7])
if minInterval > 0 and sinceIssued < minInterval then return {'too_soon', tostring(minInterval - sinceIssued)} end
local expiresAt = tonumber(s[5])
if ARGV[5] == '1' then expiresAt = now + tonumber(ARGV[4]) end
redis.call('HSET', KEYS[1], 'refreshDigest', ARGV[2], 'refreshIssuedAt', ARGV[3], 'refreshExpiresAt', tostring(expiresAt),
  'previousRefreshDigest', ARGV[1], 'refreshRotatedAt', ARGV[3])
redis.call('HINCRBY', KEYS[1], 'refreshRotations', 1)
-- The session lives exactly as long as its refresh token can renew it.
local ttl = expiresAt - now
redis.call('PEXPIRE', KEYS[1], ttl)
if redis.call('PTTL', KEYS[2]) < ttl then redis.call('PEXPIRE', KEYS[2], ttl + tonumber(ARGV[9])) end
return {'rotated', s[2], s[1], ARGV[3], tostring(expiresAt)}
`

export type RotateReply =
  | ['rotated' | 'replayed', string, string, string, string]
  | ['too_soon', string]
  | ['ended', string]
  // With the family's last retired digest, its number of rotations and the last rotation's time,
  // when the family exists.
  | ['unknown', string, string, string]
  | ['reused' | 'unknown']

declare module 'ioredis' {
  interface RedisCommander<Context> {
    refreshIssue: (sessionKey: string, digest: string, issuedAt: number, expiresAt: number) => Result<number, Context>
    refreshRotate: (
      sessionKey: string, indexKey: string, tombstoneKey: string,
      digest: string, successorDigest: string, nowMs: number, refreshTtlMs: number, sliding: '1' | '0',
      reuseGraceMs: number, minIntervalMs: number, maxLifetimeMs: number, indexSlackMs: number, sessionId: string
    ) => Result<RotateReply, Context>
  }
}

export function defineRefreshCommands (redis: Redis): void {
  if (typeof redis.refreshRotate === 'function') return
  redis.defineCommand('refreshIssue', { numberOfKeys: 1, lua: ISSUE_REFRESH_TOKEN })
  redis.defineCommand('refreshRotate', { numberOfKeys: 3, lua: ROTATE_REFRESH_TOKEN })
}
