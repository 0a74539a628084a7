import { createHash, randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { defineLuaScripts } from '../redis/lua-script.js'
import type { RedisClient } from '../redis/redis-client.js'
import { callRedis, execPipeline } from '../redis/redis-failure.js'
import { systemClock, type Clock } from '../clock.js'
import type { UserType } from '../tokens/session-claims.js'
import { claimChallengeCall, claimChallengeScript, releaseChallengeCall, releaseChallengeScript } from './challenge-claim.js'
import { countWrongCodeCall, countWrongCodeScript } from './count-wrong-code.js'

// What a login whose password was right remembers until its second factor comes: who, on which
// device, and the session generation read before the password check, so that a password change
// or logout-all in between voids it as it would void the login itself.
export interface LoginChallenge {
  userId: number
  userType: UserType
  account: string
  generation: string
  deviceId?: string
  deviceType?: string
  rememberMe?: boolean
}

export const LOGIN_CHALLENGE_TTL_MS = 300 * 1000
// Wrong codes one challenge takes before it is void (each also counts against the login budgets).
export const MAX_WRONG_CODES_PER_CHALLENGE = 3
const CHALLENGE_BYTES = 32
// A code check takes milliseconds; a claim outlives its request only if the process died.
const CLAIM_MS = 10_000
const CLAIM_POLL_MS = 20
const CLAIM_POLLS = CLAIM_MS / CLAIM_POLL_MS

function challengeDigest (challenge: string): string {
  return createHash('sha256').update(challenge).digest('base64url')
}

// Challenges in Redis, each stored under the SHA-256 of its value only (a Redis dump does not
// give a pending login away), for 300 s, used once.
export class LoginChallenges {
  constructor (private readonly redis: RedisClient, private readonly keyPrefix = '', private readonly clock: Clock = systemClock) {
    defineLuaScripts(redis, [countWrongCodeScript, claimChallengeScript, releaseChallengeScript])
  }

  private key (challenge: string): string {
    return `${this.keyPrefix}LOGIN_CHALLENGE:${challengeDigest(challenge)}`
  }

  async issue (login: LoginChallenge): Promise<string> {
    const challenge = randomBytes(CHALLENGE_BYTES).toString('base64url')
    const fields: Record<string, string> = {
      userId: String(login.userId),
      userType: login.userType,
      account: login.account,
      generation: login.generation,
      expiresAt: String(this.clock() + LOGIN_CHALLENGE_TTL_MS),
      ...(login.deviceId === undefined ? {} : { deviceId: login.deviceId }),
      ...(login.deviceType === undefined ? {} : { deviceType: login.deviceType }),
      ...(login.rememberMe === undefined ? {} : { rememberMe: login.rememberMe ? '1' : '0' })
    }
    const key = this.key(challenge)
    // Sent together, one round trip (no MULTI: the documented ACL grants none, and the expiry
    // time in the hash refuses the challenge by the clock even if the TTL were lost).
    await execPipeline(this.redis.pipeline().hset(key, fields).pexpire(key, LOGIN_CHALLENGE_TTL_MS))
    return challenge
  }

  async find (challenge: string): Promise<LoginChallenge | undefined> {
    const hash = await callRedis(() => this.redis.hgetall(this.key(challenge)))
    const { userId, userType, account, generation, expiresAt, deviceId, deviceType, rememberMe } = hash
    if (userId === undefined || userType === undefined || account === undefined || generation === undefined) return undefined
    // Redis' TTL removes it in time too; the clock decides, so that expiry is one rule that tests can drive.
    if (this.clock() >= Number(expiresAt)) return undefined
    return {
      userId: Number(userId),
      userType: userType as UserType,
      account,
      generation,
      ...(deviceId === undefined ? {} : { deviceId }),
      ...(deviceType === undefined ? {} : { deviceType }),
      ...(rememberMe === undefined ? {} : { rememberMe: rememberMe === '1' })
    }
  }

  // Runs `check` while no other request checks a code against this challenge, waiting for one
  // that does; undefined when the challenge is gone (used, void or expired) by then.
  async whileClaimed<T> (challenge: string, check: () => Promise<T>): Promise<T | undefined> {
    const challengeKey = this.key(challenge)
    const claimant = randomBytes(9).toString('base64url')
    for (let poll = 0; ; poll++) {
      const claimed = await callRedis(() => this.redis.loginChallengeClaim(
        ...claimChallengeCall({ challengeKey }, { now: this.clock(), claimMs: CLAIM_MS, claimant })))
      if (claimed === -1) return undefined
      if (claimed === 1) break
      // A holder that never lets go: its claim ends by the clock it was taken with.
      if (poll >= CLAIM_POLLS) return undefined
      await sleep(CLAIM_POLL_MS)
    }
    try {
      return await check()
    } finally {
      await callRedis(() => this.redis.loginChallengeRelease(...releaseChallengeCall({ challengeKey }, { claimant }))).catch(() => undefined)
    }
  }

  // True for the one caller that uses it: of two requests with one challenge, the other gets false.
  async consume (challenge: string): Promise<boolean> {
    return await callRedis(() => this.redis.del(this.key(challenge))) === 1
  }

  // A wrong code against it; the last one it takes voids it.
  async countWrongCode (challenge: string): Promise<void> {
    await callRedis(() => this.redis.loginChallengeCountWrongCode(
      ...countWrongCodeCall({ challengeKey: this.key(challenge) }, { maxWrongCodes: MAX_WRONG_CODES_PER_CHALLENGE })))
  }
}
