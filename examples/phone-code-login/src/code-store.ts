import { createHmac, randomInt, timingSafeEqual } from 'node:crypto'
import type { Redis } from 'ioredis'

// One-time sign-in codes, one per phone, in Redis: six digits, five minutes, three attempts.
// Only an HMAC of the code is stored: a plain hash of a six-digit code is reversed by trying all
// million, so a copy of Redis without the key gives no code away. The HMAC covers the phone too,
// so a code's record checks that phone's code only.

/** Milliseconds since the epoch. Tests pass a clock they move, so expiry needs no waiting. */
export type Clock = () => number

export const CODE_DIGITS = 6
export const CODE_TTL_SECONDS = 5 * 60
export const CODE_ATTEMPTS = 3
const MS_PER_SECOND = 1000
const DIGEST_ENCODING = 'hex'

export interface CodeStoreOptions {
  /** Prepended to every key this store writes: `<keyPrefix>code:<phone>`. */
  keyPrefix: string
  /** The HMAC key of the codes' digests; the same on every instance of the service. */
  digestKey: Buffer
  /** @default 300 */
  ttlSeconds?: number
  /** @default () => Date.now() */
  clock?: Clock
}

/** A code that was accepted, or the attempts the phone's code has left (0: none, or no code). */
export type CodeCheck = { accepted: true } | { accepted: false, attemptsLeft: number }

// Takes one attempt before the code is compared, so that guesses sent at the same moment cannot
// get more than three between them. Answers the digest and the attempts left after this one, or
// nil when the phone has no live code (none sent, expired, used, or out of attempts).
const TAKE_ATTEMPT_LUA = `
local codeKey = KEYS[1]
local nowMs = tonumber(ARGV[1])
local code = redis.call('HMGET', codeKey, 'digest', 'attemptsLeft', 'expiresAt')
local digest, attemptsLeft, expiresAt = code[1], tonumber(code[2]), tonumber(code[3])
if not digest or not attemptsLeft or not expiresAt then return false end
if attemptsLeft <= 0 or nowMs >= expiresAt then
  redis.call('DEL', codeKey)
  return false
end
redis.call('HSET', codeKey, 'attemptsLeft', attemptsLeft - 1)
return {digest, attemptsLeft - 1}
`

// A code is good once: the first of two logins racing with it deletes it, the other finds it
// gone (or replaced by a newer code) and is refused.
const CONSUME_LUA = `
local codeKey = KEYS[1]
local digest = ARGV[1]
if redis.call('HGET', codeKey, 'digest') ~= digest then return 0 end
return redis.call('DEL', codeKey)
`

function isTakenAttempt (answer: unknown): answer is [string, number] {
  return Array.isArray(answer) && typeof answer[0] === 'string' && typeof answer[1] === 'number'
}

export class CodeStore {
  readonly ttlSeconds: number
  private readonly redis: Redis
  private readonly keyPrefix: string
  private readonly digestKey: Buffer
  private readonly clock: Clock

  constructor (redis: Redis, options: CodeStoreOptions) {
    this.redis = redis
    this.keyPrefix = options.keyPrefix
    this.digestKey = options.digestKey
    this.ttlSeconds = options.ttlSeconds ?? CODE_TTL_SECONDS
    this.clock = options.clock ?? Date.now
  }

  /** A new code for `phone`, replacing any earlier one (and its attempts). */
  async issue (phone: string): Promise<string> {
    const code = String(randomInt(0, 10 ** CODE_DIGITS)).padStart(CODE_DIGITS, '0')
    const ttlMs = this.ttlSeconds * MS_PER_SECOND
    const key = this.keyOf(phone)
    // The expiry is judged by the clock (expiresAt); Redis' own only clears what nobody checked.
    const [written, expiring] = await this.redis.multi()
      .hset(key, { digest: this.digestOf(phone, code), attemptsLeft: CODE_ATTEMPTS, expiresAt: this.clock() + ttlMs })
      .pexpire(key, ttlMs)
      .exec() ?? []
    const failure = written?.[0] ?? expiring?.[0]
    if (failure !== null && failure !== undefined) throw failure
    return code
  }

  /** Checks `code` against the phone's live code, using one of its attempts; a good code is used up. */
  async check (phone: string, code: string): Promise<CodeCheck> {
    const key = this.keyOf(phone)
    const taken: unknown = await this.redis.eval(TAKE_ATTEMPT_LUA, 1, key, this.clock())
    if (!isTakenAttempt(taken)) return { accepted: false, attemptsLeft: 0 }
    const [storedDigest, attemptsLeft] = taken
    const presented = Buffer.from(this.digestOf(phone, code), DIGEST_ENCODING)
    const stored = Buffer.from(storedDigest, DIGEST_ENCODING)
    // Constant time, so how long a refusal takes tells nothing about how close the guess was.
    const matches = presented.length === stored.length && timingSafeEqual(presented, stored)
    if (!matches) return { accepted: false, attemptsLeft }
    const consumed = await this.redis.eval(CONSUME_LUA, 1, key, storedDigest)
    return consumed === 1 ? { accepted: true } : { accepted: false, attemptsLeft: 0 }
  }

  private keyOf (phone: string): string {
    return `${this.keyPrefix}code:${phone}`
  }

  private digestOf (phone: string, code: string): string {
    return createHmac('sha256', this.digestKey).update(`${phone}:${code}`).digest(DIGEST_ENCODING)
  }
}
