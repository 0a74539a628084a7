import type { Result } from 'ioredis'
import { scriptCall, type LuaScript, type ScriptCall } from '../redis/lua-script.js'

export interface ChallengeClaimKeys {
  challengeKey: string
}

export interface ClaimChallengeArgs {
  now: number
  // How long a claim holds if its request never releases it (a process that died mid-check).
  claimMs: number
  claimant: string
}

export interface ReleaseChallengeArgs {
  claimant: string
}

// One request at a time checks a code against a login challenge. Without the claim, two requests
// racing with one challenge each checked their code first and one of them then found the
// challenge used: a backup code (or a TOTP step) spent for a login that did not happen.
// Replies 1 (claimed), 0 (another request holds it) or -1 (the challenge is gone).
const CLAIM_CHALLENGE_LUA = `
local challengeKey = KEYS[1]
local now = tonumber(ARGV[1])
local claimMs = tonumber(ARGV[2])
local claimant = ARGV[3]
if redis.call('EXISTS', challengeKey) == 0 then return -1 end
local claimedUntil = tonumber(redis.call('HGET', challengeKey, 'claimedUntil') or '0')
if claimedUntil > now then return 0 end
redis.call('HSET', challengeKey, 'claimant', claimant, 'claimedUntil', now + claimMs)
return 1
`

// The claimant's own claim only: one that outlived claimMs may belong to the next request now.
const RELEASE_CHALLENGE_LUA = `
local challengeKey = KEYS[1]
local claimant = ARGV[1]
if redis.call('HGET', challengeKey, 'claimant') ~= claimant then return 0 end
return redis.call('HDEL', challengeKey, 'claimant', 'claimedUntil')
`

export const claimChallengeScript: LuaScript<ChallengeClaimKeys, ClaimChallengeArgs> = {
  command: 'loginChallengeClaim',
  lua: CLAIM_CHALLENGE_LUA,
  keys: ['challengeKey'],
  args: ['now', 'claimMs', 'claimant']
}

export const releaseChallengeScript: LuaScript<ChallengeClaimKeys, ReleaseChallengeArgs> = {
  command: 'loginChallengeRelease',
  lua: RELEASE_CHALLENGE_LUA,
  keys: ['challengeKey'],
  args: ['claimant']
}

declare module 'ioredis' {
  interface RedisCommander<Context> {
    loginChallengeClaim: (...call: ScriptCall) => Result<number, Context>
    loginChallengeRelease: (...call: ScriptCall) => Result<number, Context>
  }
}

export function claimChallengeCall (keys: ChallengeClaimKeys, args: ClaimChallengeArgs): ScriptCall {
  return scriptCall(claimChallengeScript, keys, args)
}

export function releaseChallengeCall (keys: ChallengeClaimKeys, args: ReleaseChallengeArgs): ScriptCall {
  return scriptCall(releaseChallengeScript, keys, args)
}
