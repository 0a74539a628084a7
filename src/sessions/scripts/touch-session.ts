import type { Result } from 'ioredis'
import type { SessionEndReason } from '../../errors/api-errors.js'
import { scriptCall, type LuaScript, type ScriptCall } from '../../redis/lua-script.js'
import { amrOfStored } from '../session-amr.js'
import { luaFieldNames, type SessionField } from '../session-fields.js'
import type { OneSessionKeys } from '../session-keys.js'
import type { TouchRequest, TouchResult } from '../session-store.js'
import { MAX_SLIDE_INTERVAL_MS, SLIDE_FRACTION } from '../slide-interval.js'

export interface TouchSessionKeys extends OneSessionKeys {
  // The user's devices index, extended with a session of a device type (see device-cap-lua.ts).
  devicesKey: string
}

export interface TouchSessionArgs extends TouchRequest {
  // "Last seen" is written at most this often.
  lastSeenResolutionMs: number
  // The index outlives its sessions by this much, so that extending it is a rare write.
  indexSlackMs: number
}

// How long a session key near its absolute deadline outlives it: far more than a request takes
// from reading the clock to running the script.
const DEADLINE_MARGIN_MS = 1000

// What the touch script reads of a session, in the order of its HMGET.
const TOUCHED_FIELDS: readonly SessionField[] = [
  'loginAt', 'lastSeenAt', 'tokenIat', 'previousTokenIat', 'renewedAt', 'userType', 'deviceType', 'idleTtl', 'maxLifetime', 'notRemembered',
  'account', 'authAt', 'amr', 'lastSeenAfterLogin'
]

// Checks that the session exists and the presented token is its current one, decides a reissue
// and slides the TTL, in one step.
const TOUCH_SESSION_LUA = `
local sessionKey = KEYS[1]
local indexKey = KEYS[2]
local tombstoneKey = KEYS[3]
local devicesKey = KEYS[4]
-- 0: the TTL is left alone.
local ttlMs = tonumber(ARGV[1])
local nowMs = tonumber(ARGV[2])
local lastSeenResolutionMs = tonumber(ARGV[3])
local indexSlackMs = tonumber(ARGV[4])
-- The presented token's iat, in seconds.
local tokenIat = tonumber(ARGV[5])
-- 0: never.
local reissueAfterSeconds = tonumber(ARGV[6])
local reissueGraceMs = tonumber(ARGV[7])
local slideEveryMs = tonumber(ARGV[8])
-- Whether ttlMs is the time left to the absolute deadline rather than the full TTL.
local ttlIsDeadline = ARGV[9] == '1'
-- For a session with its own idle TTL or lifetime (fields e, x), which the TTL is computed from
-- instead: the token's auth_time (seconds), whether this request slides, whether the TTL stops
-- at the deadline, and the policy's idle TTL and lifetime (seconds, 0: none) it falls back on.
local loginTimeSeconds = tonumber(ARGV[10])
local slides = ARGV[11] == '1'
local ttlStopsAtDeadline = ARGV[12] == '1'
local policyIdleTtlSeconds = tonumber(ARGV[13])
local policyMaxLifetimeSeconds = tonumber(ARGV[14])
-- '0': a request that must not keep the session alive moves neither the TTL nor "last seen".
local keepAlive = ARGV[15] == '1'

-- Every reply has this one shape, a field that does not apply being '' or 0: {status ('alive',
-- 'ended' or 'replaced'), the reason an ended session ended, account, user type, iat of the
-- token to hand out (0: keep the presented one), the session's PTTL after this call, iat of the
-- session's current token (0: not tracked), its device type, 1 if not remembered, and for a
-- session with its own TTL: the TTL it slides to and its slide interval, its deadline in ms (0: none),
-- when the user last proved who they are (ms), how (amr, labels separated by spaces), and 1 if
-- this call wrote the session key}.
local wroteSession = 0
local function reply (fields)
  return {fields.status, fields.endReason or '', fields.account or '', fields.userType or '',
    fields.reissuedIat or 0, fields.expiresInMs or 0, fields.tokenIat or 0, fields.deviceType or '',
    fields.notRemembered or 0, fields.ownTtlMs or 0, fields.ownSlideEveryMs or 0, fields.deadlineMs or 0, fields.authAt or 0, fields.amr or '',
    wroteSession}
end

local loginAtField, lastSeenField, tokenIatField, previousIatField, renewedField, userTypeField, deviceTypeField, idleTtlField, maxLifetimeField, notRememberedField, accountField, authAtField, amrField, lastSeenAfterLoginField = ${luaFieldNames(TOUCHED_FIELDS)}
local session = redis.call('HMGET', sessionKey, loginAtField, lastSeenField, tokenIatField, previousIatField, renewedField, userTypeField, deviceTypeField, idleTtlField, maxLifetimeField, notRememberedField, accountField, authAtField, amrField, lastSeenAfterLoginField)
-- Whether "last seen" is written as a time, as sessions stored before lastSeenAfterLogin have it.
local lastSeenIsTime = false
if not session[1] then
  -- A session stored with the long field names is read, and written below, in those.
  loginAtField, lastSeenField, tokenIatField, previousIatField, renewedField, userTypeField, deviceTypeField, idleTtlField, maxLifetimeField, notRememberedField, accountField, authAtField, amrField, lastSeenAfterLoginField = ${luaFieldNames(TOUCHED_FIELDS, 'long')}
  session = redis.call('HMGET', sessionKey, loginAtField, lastSeenField, tokenIatField, previousIatField, renewedField, userTypeField, deviceTypeField, idleTtlField, maxLifetimeField, notRememberedField, accountField, authAtField, amrField, lastSeenAfterLoginField)
  lastSeenIsTime = true
end
-- A missing field reads false. Every session has its login time.
local loginAt, lastSeenAt, storedIat, previousIat, renewedAt, userType, deviceType, ownIdleTtl, ownMaxLifetime, notRemembered, account, authAt, amr, lastSeenAfterLogin = unpack(session, 1, 14)
if not loginAt then
  return reply{status = 'ended', endReason = redis.call('GET', tombstoneKey) or 'expired'}
end
ownIdleTtl, ownMaxLifetime = tonumber(ownIdleTtl), tonumber(ownMaxLifetime)
-- The absolute lifetime is the session's own where a rule gave it one; the caller refused the
-- tokens past the policy's before asking, unless a device rule's may be longer.
local lifetime = ownMaxLifetime or policyMaxLifetimeSeconds
local deadlineMs = 0
if lifetime > 0 then
  deadlineMs = (loginTimeSeconds + lifetime) * 1000
  if nowMs >= deadlineMs then return reply{status = 'ended', endReason = 'max_lifetime'} end
end
local ownTtlMs, ownSlideEveryMs = 0, 0
if ownIdleTtl or ownMaxLifetime then
  local idleMs = (ownIdleTtl or policyIdleTtlSeconds) * 1000
  ownSlideEveryMs = math.floor(math.min(${MAX_SLIDE_INTERVAL_MS}, idleMs / ${SLIDE_FRACTION}))
  slideEveryMs, ttlMs, ttlIsDeadline = ownSlideEveryMs, 0, false
  if slides then
    ttlMs = idleMs
    if ttlStopsAtDeadline and deadlineMs > 0 and deadlineMs - nowMs < idleMs then ttlMs, ttlIsDeadline = deadlineMs - nowMs, true end
  end
  ownTtlMs = ttlMs
end
local currentIat = tonumber(storedIat)
local handOutIat = 0
if currentIat and tokenIat ~= currentIat then
  -- Only the token the last reissue replaced still works, and only for the grace window, so
  -- requests already in flight with it succeed (and learn the new one).
  if tokenIat ~= tonumber(previousIat) or nowMs - tonumber(renewedAt) > reissueGraceMs then
    return reply{status = 'replaced'}
  end
  handOutIat = currentIat
end
if handOutIat == 0 and reissueAfterSeconds > 0 and nowMs >= (tokenIat + reissueAfterSeconds) * 1000 then
  -- Decided here, atomically, so concurrent requests with the same old token share one new token.
  handOutIat = math.floor(nowMs / 1000)
  redis.call('HSET', sessionKey, tokenIatField, handOutIat, previousIatField, tokenIat, renewedField, nowMs)
  wroteSession = 1
end
local pttl = redis.call('PTTL', sessionKey)
-- The slide is throttled: a write reaches every near-cache as an invalidation, so a session is
-- extended only once it has lost a slide interval of its TTL, not on every request. A TTL above
-- the setting (it was lowered since) is brought down to it.
local target, lowest = ttlMs, ttlMs - slideEveryMs
if ttlIsDeadline then
  -- Near the absolute deadline: kept a moment past it, so the key never expires first (the
  -- token's claims refuse the session from the deadline on, with the right reason), and written
  -- once rather than on every request as the time left shrinks.
  target, lowest = ttlMs + ${DEADLINE_MARGIN_MS}, ttlMs - 1
end
if keepAlive and ttlMs > 0 and (pttl <= lowest or pttl > target + slideEveryMs) then
  redis.call('PEXPIRE', sessionKey, target)
  pttl = target
  wroteSession = 1
  -- Extended with slack, so that this write too happens rarely rather than on every request.
  if redis.call('PTTL', indexKey) < target then redis.call('PEXPIRE', indexKey, target + indexSlackMs) end
  -- The devices index must outlive the sessions it lists too, or the cap would miss one.
  if deviceType and redis.call('PTTL', devicesKey) < target then redis.call('PEXPIRE', devicesKey, target + indexSlackMs) end
end
-- A session list needs "last seen" to the minute, not to the request: most requests skip this write.
-- It is ms after the login (6 bytes of a listpack, where a time takes 10), except in a session that
-- has a time in lastSeenField, which goes on being written there: one stored before
-- lastSeenAfterLogin, or one the previous release touched during a rolling upgrade (it writes
-- lastSeenField beside lastSeenAfterLogin), where the later of the two is "last seen".
local seenAt = lastSeenAt and tonumber(lastSeenAt)
if lastSeenAfterLogin then
  local seenAfterLogin = tonumber(loginAt) + tonumber(lastSeenAfterLogin)
  if not seenAt or seenAfterLogin > seenAt then seenAt = seenAfterLogin end
end
if keepAlive and (not seenAt or nowMs - seenAt >= lastSeenResolutionMs) then
  if lastSeenAt or lastSeenIsTime then
    redis.call('HSET', sessionKey, lastSeenField, nowMs)
  else
    redis.call('HSET', sessionKey, lastSeenAfterLoginField, nowMs - tonumber(loginAt))
  end
  wroteSession = 1
end
local sessionIat = currentIat or 0
if handOutIat > 0 then sessionIat = handOutIat end
-- Stored only after a re-authentication; until then it is the login. The amr is not stored for
-- a password login, the common session: 'pwd' then.
return reply{status = 'alive', account = account, userType = userType, reissuedIat = handOutIat,
  expiresInMs = pttl, tokenIat = sessionIat, deviceType = deviceType, notRemembered = notRemembered and 1 or 0,
  ownTtlMs = ownTtlMs, ownSlideEveryMs = ownSlideEveryMs, deadlineMs = deadlineMs, authAt = tonumber(authAt or loginAt), amr = amr or 'pwd'}
`

export const touchSessionScript: LuaScript<TouchSessionKeys, TouchSessionArgs> = {
  command: 'sessionTouch',
  lua: TOUCH_SESSION_LUA,
  keys: ['sessionKey', 'indexKey', 'tombstoneKey', 'devicesKey'],
  args: [
    'ttlMs', 'nowMs', 'lastSeenResolutionMs', 'indexSlackMs', 'tokenIat', 'reissueAfterSeconds', 'reissueGraceMs',
    'slideEveryMs', 'ttlIsDeadline', 'loginTimeSeconds', 'slides', 'ttlStopsAtDeadline', 'policyIdleTtlSeconds',
    'policyMaxLifetimeSeconds', 'keepAlive'
  ]
}

type TouchSessionReply = [
  status: 'alive' | 'ended' | 'replaced', endReason: string, account: string, userType: string,
  reissuedIat: number, expiresInMs: number, tokenIat: number, deviceType: string, notRemembered: 0 | 1,
  ownTtlMs: number, ownSlideEveryMs: number, deadlineMs: number, authAt: number, amr: string, wroteSession: 0 | 1
]

declare module 'ioredis' {
  interface RedisCommander<Context> {
    sessionTouch: (...call: ScriptCall) => Result<TouchSessionReply, Context>
  }
}

export function touchSessionCall (keys: TouchSessionKeys, args: TouchSessionArgs): ScriptCall {
  return scriptCall(touchSessionScript, keys, args)
}

export function decodeTouchSessionReply (
  [status, endReason, account, userType, reissuedIat, expiresInMs, tokenIat, deviceType, notRemembered, ownTtlMs, ownSlideEveryMs, deadlineMs, authAt, amr, wroteSession]: TouchSessionReply
): TouchResult {
  switch (status) {
    case 'alive': return {
      status,
      account,
      userType,
      expiresInMs,
      authAt,
      amr: amrOfStored(amr),
      ...(reissuedIat > 0 ? { reissuedIat } : {}),
      ...(tokenIat > 0 ? { tokenIat } : {}),
      ...(deviceType === '' ? {} : { deviceType }),
      ...(notRemembered === 1 ? { notRemembered: true } : {}),
      // A session's own slide interval is never 0: a positive one says it has its own TTL.
      ...(ownSlideEveryMs > 0 ? { ownTtl: { ttlMs: ownTtlMs, slideEveryMs: ownSlideEveryMs } } : {}),
      ...(deadlineMs > 0 ? { deadlineMs } : {}),
      ...(wroteSession === 1 ? { wroteSession: true } : {})
    }
    case 'ended': return { status, reason: endReason as SessionEndReason }
    case 'replaced': return { status }
  }
}
