import { createHash } from 'node:crypto'
import ipaddr from 'ipaddr.js'
import { tooManyRequests } from '../errors/api-errors.js'
import { NO_AUTH_EVENTS, type AuthEvents, type EventSubject, type RateLimitBucket } from '../metrics/auth-events.js'
import type { RedisClient } from '../redis/redis-client.js'
import { callRedis } from '../redis/redis-failure.js'
import { decodeReserveAttemptReply, defineAttemptCommands, refusalKeyOf, releaseAttemptCall, reserveAttemptCall, type ReservedBudget } from './attempt-scripts.js'
import type { UserId } from '../users/user-id.js'

// Fixed-window attempt counters in Redis. Unlike @fastify/rate-limit, which counts every
// request up front, a login attempt here is reserved before the password check and handed
// back when it succeeds: only failures use up the budget, and concurrent guesses cannot
// overshoot it because the reservation happens before the (slow) argon2 verification.

export interface AttemptLimits {
  loginPerAccountIp: number
  loginPerAccount: number
  loginPerIp: number
  passwordPerSession: number
  registerPerIp: number
  refreshPerSession: number
  refreshPerIp: number
  serviceKeyPerIp: number
  resetPerAccount: number
  resetPerIp: number
  windowSeconds: number
}

// Which budget a finished refresh is charged to.
export type RefreshCharge =
  // A genuine token (refreshed, or a replay): the session's budget.
  | 'session'
  // A token that was refused: the client IP's budget, as for failed logins.
  | 'ip'
  // Neither (too soon, already refused with 429).
  | 'none'

interface Bucket {
  name: RateLimitBucket
  key: string
  limit: number
}

const MS_PER_SECOND = 1000
// Refusals not yet told in a rate_limited event wait this long beyond the window for the budget's
// next refusal (the first of a later window), which tells them.
const UNTOLD_REFUSALS_KEPT_MS = 24 * 60 * 60 * MS_PER_SECOND

// Accounts are hashed so that no e-mail address ends up in a Redis key.
function accountDigest (account: string): string {
  return createHash('sha256').update(account).digest('base64url').slice(0, 22)
}

const IPV6_CLIENT_PREFIX_GROUPS = 4

// One IPv6 client usually holds a whole /64: counting per address would let it rotate through them.
function clientId (ip: string): string {
  if (!ipaddr.isValid(ip)) return ip
  const address = ipaddr.process(ip)
  if (address.kind() === 'ipv4') return address.toString()
  return `${address.toNormalizedString().split(':').slice(0, IPV6_CLIENT_PREFIX_GROUPS).join(':')}::/64`
}

export class AttemptLimiter {
  constructor (
    private readonly redis: RedisClient,
    private readonly limits: AttemptLimits,
    private readonly keyPrefix = '',
    private readonly events: AuthEvents = NO_AUTH_EVENTS
  ) {
    defineAttemptCommands(redis)
  }

  // Runs a password check within the failed-login budgets of the account from this client, of
  // the account from anywhere and of the client IP. 429 "1029" when one has none left. The
  // account's own budget is per client so that guesses from elsewhere cannot lock its owner
  // out; the account-wide ceiling is set far higher (100 against 10 by default) and only
  // stops guessing spread over many addresses.
  async guardLogin<T> (account: string, ip: string, check: () => Promise<T | undefined>): Promise<T | undefined> {
    return await this.guardCheck(this.loginBuckets(account, ip), { ip }, check)
  }

  // Runs the old-password check of a password change within the budget of the session asking.
  // Not the account's login budget: a session holder's typos must not lock the account, and
  // guesses at the account must not block its owner's password change. A stolen session still
  // gets only this many guesses, and a new session takes the password to open.
  async guardPasswordChange<T> (userId: UserId, sessionId: string, check: () => Promise<T | undefined>): Promise<T | undefined> {
    const session: Bucket = { name: 'password_session', key: `${this.keyPrefix}RATE_LIMIT:password:session:${userId}:${sessionId}`, limit: this.limits.passwordPerSession }
    return await this.guardCheck([session], { userId, sessionId }, check)
  }

  // The attempt is handed back unless `check` found the password wrong (undefined):
  // successes, outages and overload never count toward the limit.
  private async guardCheck<T> (buckets: Bucket[], subject: EventSubject, check: () => Promise<T | undefined>): Promise<T | undefined> {
    await this.reserve(buckets, subject)
    let result: T | undefined
    try {
      result = await check()
    } catch (error) {
      await this.release(buckets).catch(() => undefined)
      throw error
    }
    if (result !== undefined) await this.release(buckets)
    return result
  }

  // Runs a refresh within the budgets of the session the token names and of the client IP.
  // Both are reserved up front, so concurrent requests cannot overshoot; once the outcome is
  // known only the budget `chargeOf` names keeps its attempt. So a made-up token naming
  // someone else's session costs its sender, not that session.
  async guardRefresh<T> (sessionKey: string, ip: string, refresh: () => Promise<T>, chargeOf: (result: T) => RefreshCharge): Promise<T> {
    const session: Bucket = { name: 'refresh_session', key: `${this.keyPrefix}RATE_LIMIT:refresh:session:${sessionKey}`, limit: this.limits.refreshPerSession }
    const client: Bucket = { name: 'refresh_ip', key: `${this.keyPrefix}RATE_LIMIT:refresh:ip:${clientId(ip)}`, limit: this.limits.refreshPerIp }
    await this.reserve([session, client], { ip })
    let result: T
    try {
      result = await refresh()
    } catch (error) {
      await this.release([session, client]).catch(() => undefined)
      throw error
    }
    const charged = { session, ip: client, none: undefined }[chargeOf(result)]
    await this.release([session, client].filter((bucket) => bucket !== charged))
    return result
  }

  // Runs a service key check within the client IP's budget of refused keys. A refused key takes
  // an attempt (one script: concurrent guesses cannot overshoot the budget). A known key only
  // reads the budget, so a backend's requests, however many are in flight, never use it up; once
  // it is spent the known key is refused with 429 like a guess (a 200 would otherwise tell a
  // guesser it had found one). Checking a key costs a hash, not argon2: nothing to hold back.
  async guardServiceKey<T> (ip: string, check: () => T, refused: (result: T) => boolean): Promise<T> {
    const client: Bucket = { name: 'service_key_ip', key: `${this.keyPrefix}RATE_LIMIT:service-key:ip:${clientId(ip)}`, limit: this.limits.serviceKeyPerIp }
    const result = check()
    if (refused(result)) {
      await this.reserve([client], { ip })
    } else if (await this.spent(client)) {
      // Refused with 429 and told as any refusal is; a window that ended meanwhile has room, and
      // the attempt the known key then took goes back.
      await this.reserve([client], { ip })
      await this.release([client])
    }
    return result
  }

  private async spent (bucket: Bucket): Promise<boolean> {
    return Number(await callRedis(async () => await this.redis.get(bucket.key)) ?? 0) >= bucket.limit
  }

  // POST /auth/password/forgot: every request counts, whether the account exists or not (the
  // answer must not tell), against the account's budget and the client's.
  async reserveResetRequest (account: string, ip: string): Promise<void> {
    await this.reserve([
      { name: 'reset_account', key: `${this.keyPrefix}RATE_LIMIT:reset:account:${accountDigest(account)}`, limit: this.limits.resetPerAccount },
      this.resetIpBucket(ip)
    ], { ip })
  }

  // POST /auth/password/reset: a token that `check` refuses (undefined) counts against the
  // client's reset budget, the one forgot requests use; a token that works is handed back.
  async guardResetToken<T> (ip: string, check: () => Promise<T | undefined>): Promise<T | undefined> {
    return await this.guardCheck([this.resetIpBucket(ip)], { ip }, check)
  }

  // A password reset proved the user owns the account: its failed logins, from anywhere and from
  // the client that reset it, no longer hold the owner out (other clients' own counters stay).
  async clearLoginFailures (account: string, ip: string): Promise<void> {
    const [fromClient, fromAnywhere] = this.loginBuckets(account, ip)
    const keys = [fromClient, fromAnywhere].flatMap((bucket) => bucket === undefined ? [] : [bucket.key, refusalKeyOf(bucket.key, this.keyPrefix)])
    await callRedis(async () => await Promise.all(keys.map(async (key) => await this.redis.del(key))))
  }

  private resetIpBucket (ip: string): Bucket {
    return { name: 'reset_ip', key: `${this.keyPrefix}RATE_LIMIT:reset:ip:${clientId(ip)}`, limit: this.limits.resetPerIp }
  }

  async reserveRegistration (ip: string): Promise<void> {
    await this.reserve([{ name: 'register_ip', key: `${this.keyPrefix}RATE_LIMIT:register:ip:${clientId(ip)}`, limit: this.limits.registerPerIp }], { ip })
  }

  private loginBuckets (account: string, ip: string): Bucket[] {
    const digest = accountDigest(account)
    const client = clientId(ip)
    return [
      { name: 'login_account_ip', key: `${this.keyPrefix}RATE_LIMIT:login:account-ip:${digest}:${client}`, limit: this.limits.loginPerAccountIp },
      { name: 'login_account', key: `${this.keyPrefix}RATE_LIMIT:login:account:${digest}`, limit: this.limits.loginPerAccount },
      { name: 'login_ip', key: `${this.keyPrefix}RATE_LIMIT:login:ip:${client}`, limit: this.limits.loginPerIp }
    ]
  }

  // One script call for every bucket on one Redis. On a Redis Cluster the buckets' keys lie in
  // different slots, which one script (or a pipeline) may not span: one call per bucket there,
  // sent together, which on one connection still go out back to back and cost one round trip.
  private callsFor (buckets: Bucket[]): Bucket[][] {
    return this.redis.isCluster ? buckets.map((bucket) => [bucket]) : [buckets]
  }

  private async release (buckets: Bucket[]): Promise<void> {
    await callRedis(async () => await Promise.all(this.callsFor(buckets).map(async (call) =>
      await this.redis.attemptRelease(...releaseAttemptCall(call.map((bucket) => bucket.key)))
    )))
  }

  private budgetOf (bucket: Bucket): ReservedBudget {
    return { counterKey: bucket.key, refusalKey: refusalKeyOf(bucket.key, this.keyPrefix), limit: bucket.limit }
  }

  // `subject`: who was refused, for the rate_limited event.
  private async reserve (buckets: Bucket[], subject: EventSubject): Promise<void> {
    const windowMs = this.limits.windowSeconds * MS_PER_SECOND
    const refusalTtlMs = windowMs + UNTOLD_REFUSALS_KEPT_MS
    const replies = (await callRedis(async () => await Promise.all(this.callsFor(buckets).map(async (call) => decodeReserveAttemptReply(
      await this.redis.attemptReserve(...reserveAttemptCall(call.map((bucket) => this.budgetOf(bucket)), { windowMs, refusalTtlMs }))
    ))))).flat()
    const longestWaitMs = Math.max(0, ...replies.map((reply) => reply.waitMs))
    if (longestWaitMs === 0) return
    const refused = buckets.flatMap((bucket, i) => {
      const reply = replies[i]
      return reply === undefined || reply.waitMs === 0 ? [] : [{ bucket, told: reply.told }]
    })
    for (const { bucket, told } of refused) this.events.rateLimited(bucket.name, subject, told)
    // Hand back what was reserved in the buckets that still had room.
    const reserved = buckets.filter((_, i) => replies[i]?.waitMs === 0)
    if (reserved.length > 0) await this.release(reserved)
    throw tooManyRequests(longestWaitMs / MS_PER_SECOND, refused.every(({ told }) => told === 0))
  }
}
