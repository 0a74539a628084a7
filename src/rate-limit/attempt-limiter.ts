import { createHash } from 'node:crypto'
import type { Redis, Result } from 'ioredis'
import { tooManyRequests } from '../errors/api-errors.js'
import { execPipeline } from '../redis/redis-failure.js'

// Fixed-window attempt counters in Redis. Unlike @fastify/rate-limit, which counts every
// request up front, a login attempt here is reserved before the password check and handed
// back when it succeeds: only failures use up the budget, and concurrent guesses cannot
// overshoot it because the reservation happens before the (slow) argon2 verification.
const RESERVE_ATTEMPT = `
-- KEYS[1] counter; ARGV[1] window ms, ARGV[2] limit. Returns 0, or the ms until the window ends.
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count >= tonumber(ARGV[2]) then
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl > 0 then return ttl end
  return tonumber(ARGV[1])
end
if redis.call('INCR', KEYS[1]) == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return 0
`

const RELEASE_ATTEMPT = `
-- KEYS[1] counter. Only while its window lasts: a DECR after expiry would leave -1 forever.
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('DECR', KEYS[1]) end
return 1
`

declare module 'ioredis' {
  interface RedisCommander<Context> {
    attemptReserve: (key: string, windowMs: number, limit: number) => Result<number, Context>
    attemptRelease: (key: string) => Result<number, Context>
  }
}

export interface AttemptLimits {
  loginPerAccount: number
  loginPerIp: number
  registerPerIp: number
  windowSeconds: number
}

interface Bucket {
  key: string
  limit: number
}

const MS_PER_SECOND = 1000

// Accounts are hashed so that no e-mail address ends up in a Redis key.
function accountDigest (account: string): string {
  return createHash('sha256').update(account).digest('base64url').slice(0, 22)
}

export class AttemptLimiter {
  constructor (
    private readonly redis: Redis,
    private readonly limits: AttemptLimits,
    private readonly keyPrefix = ''
  ) {
    if (typeof redis.attemptReserve !== 'function') {
      redis.defineCommand('attemptReserve', { numberOfKeys: 1, lua: RESERVE_ATTEMPT })
      redis.defineCommand('attemptRelease', { numberOfKeys: 1, lua: RELEASE_ATTEMPT })
    }
  }

  // Throws 429 "1029" when the account or the client IP has no failed attempts left.
  async reserveLogin (account: string, ip: string): Promise<void> {
    await this.reserve(this.loginBuckets(account, ip))
  }

  // A successful login gives its reservation back: successes never count toward the limit.
  async releaseLogin (account: string, ip: string): Promise<void> {
    const pipeline = this.redis.pipeline()
    for (const bucket of this.loginBuckets(account, ip)) pipeline.attemptRelease(bucket.key)
    await execPipeline(pipeline)
  }

  async reserveRegistration (ip: string): Promise<void> {
    await this.reserve([{ key: `${this.keyPrefix}RATE_LIMIT:register:ip:${ip}`, limit: this.limits.registerPerIp }])
  }

  private loginBuckets (account: string, ip: string): Bucket[] {
    return [
      { key: `${this.keyPrefix}RATE_LIMIT:login:account:${accountDigest(account)}`, limit: this.limits.loginPerAccount },
      { key: `${this.keyPrefix}RATE_LIMIT:login:ip:${ip}`, limit: this.limits.loginPerIp }
    ]
  }

  private async reserve (buckets: Bucket[]): Promise<void> {
    const windowMs = this.limits.windowSeconds * MS_PER_SECOND
    const pipeline = this.redis.pipeline()
    for (const bucket of buckets) pipeline.attemptReserve(bucket.key, windowMs, bucket.limit)
    const blockedMs = (await execPipeline(pipeline)).map(Number)
    const longestWaitMs = Math.max(0, ...blockedMs)
    if (longestWaitMs === 0) return
    // Hand back what was reserved in the buckets that still had room.
    const reserved = buckets.filter((_, i) => blockedMs[i] === 0)
    if (reserved.length > 0) {
      const undo = this.redis.pipeline()
      for (const bucket of reserved) undo.attemptRelease(bucket.key)
      await execPipeline(undo)
    }
    throw tooManyRequests(longestWaitMs / MS_PER_SECOND)
  }
}
