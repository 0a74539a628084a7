import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Redis } from 'ioredis'
import type { Clock } from '../clock.js'
import type { SessionEndReason } from '../errors/api-errors.js'
import type { RedisClient } from '../redis/redis-client.js'
import { callRedis } from '../redis/redis-failure.js'
import { defineEventCommands } from './event-scripts.js'
import { sessionKeys, type SessionKeys } from '../sessions/session-keys.js'
import { claimExpiredSessionCall, decodeClaimExpiredSessionReply, type ClaimExpiredSessionReply } from './scripts/claim-expired-session.js'
import type { ScriptCall } from '../redis/lua-script.js'
import { userIdKey, userIdOfKey, type UserId } from '../users/user-id.js'

const MS_PER_SECOND = 1000
const CLAIM_TTL_MS = 60_000
// A claim whose answer did not come (Redis slower than REDIS_COMMAND_TIMEOUT, a dropped
// connection, a process that was off its core) is made again: Redis may have run it, and then
// only a retry tells the event. Retried for half the claim's life, so that a Redis that stalls
// or fails over for seconds delays the event instead of losing it, while the claim is still
// this claimant's.
const CLAIM_RETRY_LIMIT_MS = CLAIM_TTL_MS / 2
const CLAIM_FIRST_RETRY_MS = 100
const CLAIM_MAX_RETRY_MS = 2000
// The keyspace-notification classes the watcher needs: E (keyevent channels) and x (expired).
export const REQUIRED_NOTIFY_FLAGS = 'Ex'
// A session key expires at its absolute deadline to the millisecond, and Redis may report it a
// little later: an expiry this close to the deadline was the absolute lifetime's.
const DEADLINE_TOLERANCE_MS = MS_PER_SECOND
// Redis' answer to a command the ACL user may not run.
const NO_PERMISSION = /NOPERM/

export interface ExpiredSession {
  userId: UserId
  sessionId: string
  reason: Extract<SessionEndReason, 'expired' | 'max_lifetime'>
}

export interface ExpiryWatcherSettings {
  keyPrefix: string
  maxLifetimeSeconds: number
}

export interface ExpiryWatcherLog {
  warn: (details: object, message: string) => void
  info: (details: object, message: string) => void
}

function escapeRegExp (text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

// The notify-keyspace-events value with the watcher's flags added to what is set already.
export function withRequiredFlags (current: string): string {
  // 'A' stands for every class, x included.
  const missing = [...REQUIRED_NOTIFY_FLAGS].filter((flag) => !current.includes(flag) && !(flag === 'x' && current.includes('A')))
  return current + missing.join('')
}

// Idle expiry, and the absolute lifetime where it stops the session key, happen in Redis with no
// request to see them: Redis reports them as keyspace notifications, which every instance
// subscribed here receives. One instance claims each (a script), so each is told once.
export class SessionExpiryWatcher {
  private readonly keys: SessionKeys
  private readonly sessionKey: RegExp
  // The latest connection's subscription, which the first start waits for.
  private listening: Promise<void> = Promise.resolve()
  private toldConfigRefused = false
  // Ends the waits of claims being retried when the watcher closes.
  private readonly closing = new AbortController()

  // `subscriber`: a connection of its own, with `autoResubscribe: false` and `lazyConnect: true`,
  // to the one Redis or to one master of a cluster (each master reports only its own keys).
  constructor (
    private readonly redis: RedisClient,
    private readonly subscriber: Redis,
    private readonly settings: ExpiryWatcherSettings,
    private readonly onExpired: (session: ExpiredSession) => void,
    private readonly log: ExpiryWatcherLog,
    private readonly clock: Clock
  ) {
    defineEventCommands(redis)
    this.keys = sessionKeys(settings.keyPrefix)
    // ACCESS_TOKEN:{<userId>}:<session id>, after the key prefix; the id in its key form, which
    // has no `}` (see USER_ID_STRING_PATTERN).
    this.sessionKey = new RegExp(`^${escapeRegExp(this.keys.sessionPrefixAll)}\\{([A-Za-z0-9_-]{1,64})\\}:(.+)$`)
    subscriber.on('message', (_channel: string, key: string) => { this.expired(key) })
    // On every connection, not only the first: a restarted Redis has forgotten a CONFIG SET.
    subscriber.on('ready', () => { void this.listen() })
    // Connection errors also arrive through 'close'; without a listener they would crash the process.
    subscriber.on('error', () => {})
  }

  // Resolves once subscribed, or once the first connection failed (it is retried).
  async start (): Promise<void> {
    await this.subscriber.connect().then(async () => await this.listening, () => {})
  }

  async close (): Promise<void> {
    this.closing.abort()
    this.subscriber.disconnect()
  }

  // Turns the notifications on where the server may (CONFIG SET), then subscribes.
  private async listen (): Promise<void> {
    this.listening = (async () => {
      await this.enableNotifications()
      await this.subscriber.subscribe(`__keyevent@${this.subscriber.options.db ?? 0}__:expired`)
    })().catch((error: unknown) => {
      this.log.warn({ err: error }, 'session events: could not subscribe to expiry notifications; retried on the next connection')
    })
    await this.listening
  }

  private async enableNotifications (): Promise<void> {
    try {
      const [, current = ''] = await this.subscriber.config('GET', 'notify-keyspace-events') as string[]
      const wanted = withRequiredFlags(current)
      if (wanted !== current) await this.subscriber.config('SET', 'notify-keyspace-events', wanted)
    } catch (error) {
      // A Redis user without the CONFIG right (docs/deployment.md#redis-acl-one-user-per-service),
      // or a managed Redis that refuses CONFIG: its operator sets the parameter instead, and the
      // watcher runs all the same. Said once, not on every reconnection.
      if (NO_PERMISSION.test(String(error))) {
        if (!this.toldConfigRefused) this.log.info({ redisError: String(error) }, `session events: this Redis user may not run CONFIG, so notify-keyspace-events is not checked here: it must include "${REQUIRED_NOTIFY_FLAGS}", set by the operator, or no session.ended event tells of idle expiry`)
        this.toldConfigRefused = true
        return
      }
      this.log.warn({ err: error }, `session events: could not set notify-keyspace-events; set it to include "${REQUIRED_NOTIFY_FLAGS}" (docs/events.md), or no session.ended event tells of idle expiry`)
    }
  }

  private expired (key: string): void {
    const match = this.sessionKey.exec(key)
    if (match === null) return
    // The expired key is all that is left: it does not say whether a session of `{123}` was
    // started with 123 or "123", and the event reports the number (docs/events.md).
    const userId = userIdOfKey(match[1] ?? '')
    const sessionId = match[2] ?? ''
    this.claim(userId, sessionId).catch((error: unknown) => {
      this.log.warn({ err: error, userId, sessionId }, 'session events: could not claim an expired session; its session.ended event is lost')
    })
  }

  private async claim (userId: UserId, sessionId: string): Promise<void> {
    const call = claimExpiredSessionCall(
      { claimKey: `${this.settings.keyPrefix}EVENTS_EXPIRED:{${userIdKey(userId)}}:${sessionId}`, indexKey: this.keys.index(userId) },
      { sessionId, claimTtlMs: CLAIM_TTL_MS, claimant: randomUUID() }
    )
    const claim = decodeClaimExpiredSessionReply(await this.claimAgainUntilAnswered(call))
    if (!claim.claimed) return
    this.onExpired({ userId, sessionId, reason: this.reachedDeadline(claim.loginAtMs) ? 'max_lifetime' : 'expired' })
  }

  private async claimAgainUntilAnswered (call: ScriptCall): Promise<ClaimExpiredSessionReply> {
    const giveUpAtMs = Date.now() + CLAIM_RETRY_LIMIT_MS
    for (let retryMs = CLAIM_FIRST_RETRY_MS; ; retryMs = Math.min(retryMs * 2, CLAIM_MAX_RETRY_MS)) {
      try {
        return await callRedis(() => this.redis.eventsClaimExpiredSession(...call))
      } catch (error) {
        if (Date.now() + retryMs > giveUpAtMs || this.closing.signal.aborted) throw error
        // A close ends the wait with an AbortError, which is the claim's failure then.
        await sleep(retryMs, undefined, { signal: this.closing.signal })
      }
    }
  }

  private reachedDeadline (loginAtMs: number | undefined): boolean {
    const { maxLifetimeSeconds } = this.settings
    if (loginAtMs === undefined || maxLifetimeSeconds === 0) return false
    // Counted from the login second, as tokens count it (auth_time).
    const deadlineMs = (Math.floor(loginAtMs / MS_PER_SECOND) + maxLifetimeSeconds) * MS_PER_SECOND
    return this.clock() + DEADLINE_TOLERANCE_MS >= deadlineMs
  }
}
