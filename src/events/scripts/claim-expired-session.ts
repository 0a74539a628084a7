import type { Result } from 'ioredis'
import { scriptCall, type LuaScript, type ScriptCall } from '../../redis/lua-script.js'

export interface ClaimExpiredSessionKeys {
  // Same `{userId}` hash tag as the index, so both keys lie in one cluster slot.
  claimKey: string
  indexKey: string
}

export interface ClaimExpiredSessionArgs {
  sessionId: string
  // Far longer than the notification takes to reach every instance.
  claimTtlMs: number
  // Who claims: the same for every attempt of one instance at one expiry, so that an attempt
  // whose answer was lost (a command timeout) and is made again finds the claim its own.
  claimant: string
}

// Every instance hears Redis report a session key expired; the one whose claim is first emits
// session.ended. The index, which scores each session by its login time, tells an idle expiry
// from the absolute lifetime's: the key itself is gone.
const CLAIM_EXPIRED_SESSION_LUA = `
local claimKey = KEYS[1]
local indexKey = KEYS[2]
local sessionId = ARGV[1]
local claimTtlMs = tonumber(ARGV[2])
local claimant = ARGV[3]
-- Replies {claimed (1, or 0 when another instance was first), the login time in ms ('' when unknown)}.
if not redis.call('SET', claimKey, claimant, 'NX', 'PX', claimTtlMs) and redis.call('GET', claimKey) ~= claimant then return {0, ''} end
return {1, redis.call('ZSCORE', indexKey, sessionId) or ''}
`

export const claimExpiredSessionScript: LuaScript<ClaimExpiredSessionKeys, ClaimExpiredSessionArgs> = {
  command: 'eventsClaimExpiredSession',
  lua: CLAIM_EXPIRED_SESSION_LUA,
  keys: ['claimKey', 'indexKey'],
  args: ['sessionId', 'claimTtlMs', 'claimant']
}

export type ClaimExpiredSessionReply = [claimed: 0 | 1, loginAt: string]

declare module 'ioredis' {
  interface RedisCommander<Context> {
    eventsClaimExpiredSession: (...call: ScriptCall) => Result<ClaimExpiredSessionReply, Context>
  }
}

export function claimExpiredSessionCall (keys: ClaimExpiredSessionKeys, args: ClaimExpiredSessionArgs): ScriptCall {
  return scriptCall(claimExpiredSessionScript, keys, args)
}

export type ExpiryClaim = { claimed: false } | { claimed: true, loginAtMs?: number }

export function decodeClaimExpiredSessionReply ([claimed, loginAt]: ClaimExpiredSessionReply): ExpiryClaim {
  if (claimed === 0) return { claimed: false }
  return loginAt === '' ? { claimed: true } : { claimed: true, loginAtMs: Number(loginAt) }
}
