import type { Result } from 'ioredis'
import type { SessionEndReason } from '../../errors/api-errors.js'
import { scriptCall, type LuaScript, type ScriptCall } from '../../redis/lua-script.js'
import { luaFieldNames } from '../../sessions/session-fields.js'
import type { OneSessionKeys } from '../../sessions/session-keys.js'
import type { UserType } from '../../tokens/session-claims.js'
import type { RefreshRules } from '../refresh-token-store.js'

export interface RotateRefreshTokenArgs extends RefreshRules {
  presentedDigest: string
  successorDigest: string
  nowMs: number
  // The index outlives its sessions by this much, so that extending it is a rare write.
  indexSlackMs: number
  // The family's session, whose index entry a reuse removes.
  sessionId: string
}

// Checking the session, retiring the old token and storing the new one is one atomic step.
const ROTATE_REFRESH_TOKEN_LUA = `
local sessionKey = KEYS[1]
local indexKey = KEYS[2]
local tombstoneKey = KEYS[3]
local presentedDigest = ARGV[1]
local successorDigest = ARGV[2]
local nowMs = tonumber(ARGV[3])
local refreshTtlMs = tonumber(ARGV[4])
-- Whether a rotation extends the expiry to now + refreshTtlMs.
local sliding = ARGV[5] == '1'
local reuseGraceMs = tonumber(ARGV[6])
local minIntervalMs = tonumber(ARGV[7])
-- 0: none.
local maxLifetimeMs = tonumber(ARGV[8])
local indexSlackMs = tonumber(ARGV[9])
local sessionId = ARGV[10]

-- Every reply has this one shape, a field that does not apply being '': {status, user type,
-- login time ms, rotation time ms, expiry ms, retry after ms (too_soon), end reason (ended),
-- and for a token that is neither of the two the family keeps: the family's last retired
-- digest, its number of rotations and the last rotation's time ms; then the user id's kind
-- and '1' for a session not remembered (rotated, replayed); then the device type of the session
-- a reuse ended (reused), which its session.ended event tells}.
local function reply (fields)
  return {fields.status, fields.userType or '', fields.loginAt or '', fields.rotatedAt or '', fields.expiresAt or '',
    fields.retryAfterMs or '', fields.endReason or '', fields.lastRetiredDigest or '', fields.rotations or '',
    fields.lastRotatedAt or '', fields.userIdKind or '', fields.notRemembered or '', fields.deviceType or ''}
end

local stored = redis.call('HMGET', sessionKey, ${luaFieldNames(['loginAt', 'userType'])}, 'refreshDigest', 'refreshIssuedAt',
  'refreshExpiresAt', 'previousRefreshDigest', 'refreshRotatedAt', 'refreshRotations',
  ${luaFieldNames(['userIdKind', 'maxLifetime', 'notRemembered', 'deviceType'])})
if not stored[1] then
  -- A session stored with the long field names (the refresh fields have kept theirs).
  local legacy = redis.call('HMGET', sessionKey, ${luaFieldNames(['loginAt', 'userType', 'deviceType'], 'long')})
  stored[1], stored[2], stored[12] = legacy[1], legacy[2], legacy[3]
end
-- A missing field reads false.
local loginAt, userType, currentDigest, issuedAt, expiresAt, previousDigest, rotatedAt, rotations, userIdKind,
  ownMaxLifetime, notRemembered, deviceType = unpack(stored, 1, 12)
-- A device rule's own absolute lifetime (seconds, 0: none) bounds its refresh tokens in place of the policy's.
if ownMaxLifetime then maxLifetimeMs = tonumber(ownMaxLifetime) * 1000 end
if not loginAt then
  local reason = redis.call('GET', tombstoneKey)
  if reason then return reply{status = 'ended', endReason = reason} end
  return reply{status = 'unknown'}
end
local isCurrent = presentedDigest == currentDigest
local isPrevious = presentedDigest == previousDigest
-- Not one of the two it keeps: the caller checks whether it is an older token of this family.
if not isCurrent and not isPrevious then
  return reply{status = 'unknown', lastRetiredDigest = previousDigest or '', rotations = rotations or '0',
    lastRotatedAt = rotatedAt or '0'}
end
-- From the login second, as tokens count it (auth_time), so that both agree on the deadline.
if maxLifetimeMs > 0 and nowMs >= math.floor(tonumber(loginAt) / 1000) * 1000 + maxLifetimeMs then
  return reply{status = 'ended', endReason = 'max_lifetime'}
end
if isPrevious then
  if nowMs - tonumber(rotatedAt) <= reuseGraceMs then
    -- The same rotation's times: the caller rebuilds the very same successor pair.
    return reply{status = 'replayed', userType = userType, loginAt = loginAt, rotatedAt = rotatedAt, expiresAt = expiresAt,
      userIdKind = userIdKind, notRemembered = notRemembered}
  end
  -- A retired token after the grace window: one of its two holders is a thief. End the family.
  local ttl = redis.call('PTTL', sessionKey)
  if ttl <= 0 then ttl = 1 end
  redis.call('DEL', sessionKey)
  redis.call('SET', tombstoneKey, 'refresh_reused', 'PX', ttl)
  redis.call('ZREM', indexKey, sessionId)
  return reply{status = 'reused', deviceType = deviceType}
end
if tonumber(expiresAt) <= nowMs then return reply{status = 'unknown'} end
local sinceIssuedMs = nowMs - tonumber(issuedAt)
if minIntervalMs > 0 and sinceIssuedMs < minIntervalMs then
  return reply{status = 'too_soon', retryAfterMs = tostring(minIntervalMs - sinceIssuedMs)}
end
local successorExpiresAt = tonumber(expiresAt)
if sliding then successorExpiresAt = nowMs + refreshTtlMs end
redis.call('HSET', sessionKey, 'refreshDigest', successorDigest, 'refreshIssuedAt', tostring(nowMs),
  'refreshExpiresAt', tostring(successorExpiresAt), 'previousRefreshDigest', presentedDigest, 'refreshRotatedAt', tostring(nowMs))
redis.call('HINCRBY', sessionKey, 'refreshRotations', 1)
-- The session lives exactly as long as its refresh token can renew it.
local ttl = successorExpiresAt - nowMs
redis.call('PEXPIRE', sessionKey, ttl)
if redis.call('PTTL', indexKey) < ttl then redis.call('PEXPIRE', indexKey, ttl + indexSlackMs) end
return reply{status = 'rotated', userType = userType, loginAt = loginAt, rotatedAt = tostring(nowMs),
  expiresAt = tostring(successorExpiresAt), userIdKind = userIdKind, notRemembered = notRemembered}
`

export const rotateRefreshTokenScript: LuaScript<OneSessionKeys, RotateRefreshTokenArgs> = {
  command: 'refreshRotate',
  lua: ROTATE_REFRESH_TOKEN_LUA,
  keys: ['sessionKey', 'indexKey', 'tombstoneKey'],
  args: [
    'presentedDigest', 'successorDigest', 'nowMs', 'refreshTtlMs', 'sliding', 'reuseGraceMs', 'minIntervalMs',
    'maxLifetimeMs', 'indexSlackMs', 'sessionId'
  ]
}

type RotateRefreshTokenReply = [
  status: 'rotated' | 'replayed' | 'too_soon' | 'ended' | 'reused' | 'unknown',
  userType: string, loginAt: string, rotatedAt: string, expiresAt: string, retryAfterMs: string, endReason: string,
  lastRetiredDigest: string, rotations: string, lastRotatedAt: string, userIdKind: string, notRemembered: string, deviceType: string
]

declare module 'ioredis' {
  interface RedisCommander<Context> {
    refreshRotate: (...call: ScriptCall) => Result<RotateRefreshTokenReply, Context>
  }
}

export function rotateRefreshTokenCall (keys: OneSessionKeys, args: RotateRefreshTokenArgs): ScriptCall {
  return scriptCall(rotateRefreshTokenScript, keys, args)
}

export type RotatedRefreshToken =
  // `rotatedAt` and `expiresAt` belong to the rotation that made the successor: a replay
  // within the grace window reports the same ones. `userIdKind`: the session's (session-user-id.ts).
  // `notRemembered`: started with rememberMe: false.
  | { status: 'rotated' | 'replayed', userType: UserType, loginAt: number, rotatedAt: number, expiresAt: number, userIdKind?: string, notRemembered?: true }
  | { status: 'too_soon', retryAfterMs: number }
  | { status: 'ended', reason: SessionEndReason }
  // The script has ended the family: a token it had retired came back after the grace window.
  // `deviceType`: the ended session's, if it had one.
  | { status: 'reused', deviceType?: string }
  // `lastRetired`, when the session exists and has retired a token: the presented one may be an
  // older token of the family.
  | { status: 'unknown', lastRetired?: { digest: string, rotations: number, rotatedAt: number } }

export function decodeRotateRefreshTokenReply ([
  status, userType, loginAt, rotatedAt, expiresAt, retryAfterMs, endReason, lastRetiredDigest, rotations, lastRotatedAt, userIdKind,
  notRemembered, deviceType
]: RotateRefreshTokenReply): RotatedRefreshToken {
  switch (status) {
    case 'rotated':
    case 'replayed':
      return {
        status,
        userType: userType as UserType,
        loginAt: Number(loginAt),
        rotatedAt: Number(rotatedAt),
        expiresAt: Number(expiresAt),
        ...(userIdKind === '' ? {} : { userIdKind }),
        ...(notRemembered === '' ? {} : { notRemembered: true })
      }
    case 'too_soon': return { status, retryAfterMs: Number(retryAfterMs) }
    case 'ended': return { status, reason: endReason as SessionEndReason }
    case 'reused': return deviceType === '' ? { status } : { status, deviceType }
    case 'unknown':
      if (lastRetiredDigest === '') return { status }
      return { status, lastRetired: { digest: lastRetiredDigest, rotations: Number(rotations), rotatedAt: Number(lastRotatedAt) } }
  }
}
