import type { SessionEndReason } from '../errors/api-errors.js'
import type { CachedSession, NearCache } from './near-cache.js'
import { sessionKeys, type SessionKeys } from './session-keys.js'
import type { CreateResult, DeviceCap, EndedSession, MarkAuthenticatedResult, ResumeResult, RevokeFilter, SessionRecord, SessionStore, TouchRequest, TouchResult } from './session-store.js'
import type { UserId } from '../users/user-id.js'
import type { UserBan } from './user-ban.js'

export interface InvalidationSync {
  // Resolves once the invalidations for every change made so far have reached the cache.
  sync: () => Promise<void>
}

const MS_PER_SECOND = 1000

// Touches are answered from the near-cache while it holds the session, so most authenticated
// requests cost no Redis round trip. Redis stays the authority: the cache holds only what a touch
// read, drops it when Redis reports a change, and is bypassed whenever that report could be lost.
// Everything else goes straight to the store.
export class NearCachedSessionStore implements SessionStore {
  private readonly keys: SessionKeys
  // Sessions being read again after this instance's own write, by key (refillAfterOwnWrite).
  private readonly rereads = new Map<string, Promise<void>>()

  constructor (
    private readonly store: SessionStore,
    private readonly cache: NearCache,
    private readonly invalidations: InvalidationSync,
    keyPrefix: string,
    private readonly onBackgroundTouchError: (error: unknown) => void
  ) {
    this.keys = sessionKeys(keyPrefix)
  }

  // A miss is counted here, once per check: the session check asks touchCached first, then this.
  async touch (userId: UserId, sessionId: string, request: TouchRequest): Promise<TouchResult> {
    const cached = this.touchCached(userId, sessionId, request)
    if (cached !== undefined) return cached
    const key = this.keys.session(userId, sessionId)
    const pending = this.rereads.get(key)
    if (pending !== undefined) {
      // The session is being read again after this instance's own write: answered from that
      // read, as a hit, rather than by a second read of its own.
      await pending
      const reread = this.touchCached(userId, sessionId, request)
      if (reread !== undefined) return reread
    }
    this.cache.counts.misses++
    const touched = await this.touchAndCache(key, userId, sessionId, request)
    if (touched.status === 'alive' && touched.wroteSession === true) this.refillInBackground(key, userId, sessionId, request)
    return touched
  }

  touchCached (userId: UserId, sessionId: string, request: TouchRequest): TouchResult | undefined {
    const key = this.keys.session(userId, sessionId)
    const cached = this.cache.get(key, request.nowMs)
    if (cached === undefined || !servesRequest(cached, request)) return undefined
    this.cache.counts.hits++
    // Refused as the touch script refuses it, from the session's own deadline.
    if (cached.deadlineMs !== undefined && request.nowMs >= cached.deadlineMs) return { status: 'ended', reason: 'max_lifetime' }
    // The slide and "last seen" are off the response path: at most one touch per interval. A
    // request that does not keep the session alive leaves the touch to the next one that does.
    if (request.keepAlive && request.nowMs >= cached.touchDueAtMs) this.touchInBackground(key, userId, sessionId, request)
    // One object of one shape per hit, whatever the session has: no spreads, no temporaries.
    return {
      status: 'alive',
      account: cached.account,
      userType: cached.userType,
      authAt: cached.authAt,
      amr: cached.amr,
      expiresInMs: cached.expiresAtMs - request.nowMs,
      tokenIat: cached.tokenIat,
      deviceType: cached.deviceType,
      notRemembered: cached.notRemembered
    }
  }

  async generation (userId: UserId): Promise<string> {
    return await this.store.generation(userId)
  }

  // The sessions a login evicted or replaced are dropped here at once, as for a logout.
  async create (record: SessionRecord, ttlMs: number, generation: string, maxSessions: number, deviceCap?: DeviceCap): Promise<CreateResult> {
    const created = await this.store.create(record, ttlMs, generation, maxSessions, deviceCap)
    if (created.created) {
      for (const { sessionId } of [...created.evicted, ...created.replaced]) this.cache.invalidate(this.keys.session(record.userId, sessionId))
    }
    return created
  }

  async resume (record: SessionRecord, ttlMs: number): Promise<ResumeResult> {
    return await this.store.resume(record, ttlMs)
  }

  async find (userId: UserId, sessionId: string): Promise<SessionRecord | undefined> {
    return await this.store.find(userId, sessionId)
  }

  async list (userId: UserId): Promise<SessionRecord[]> {
    return await this.store.list(userId)
  }

  // Dropped here at once rather than when Redis' message arrives, so that no request that starts
  // after a logout's answer is served from this instance's cache.
  async revoke (userId: UserId, sessionId: string, reason: SessionEndReason): Promise<EndedSession | undefined> {
    try {
      return await this.store.revoke(userId, sessionId, reason)
    } finally {
      // Also when the answer was lost: Redis may have run the revoke all the same.
      this.cache.invalidate(this.keys.session(userId, sessionId))
    }
  }

  // Dropped here at once, so this instance's next check reads the new authAt; every other
  // instance hears of the write from Redis.
  async markAuthenticated (userId: UserId, sessionId: string, authAtMs: number): Promise<MarkAuthenticatedResult> {
    try {
      return await this.store.markAuthenticated(userId, sessionId, authAtMs)
    } finally {
      this.cache.invalidate(this.keys.session(userId, sessionId))
    }
  }

  // Which sessions went is known only to Redis: wait until its messages about them have arrived.
  async revokeAll (userId: UserId, reason: SessionEndReason, filter?: RevokeFilter): Promise<EndedSession[]> {
    const revoked = await this.store.revokeAll(userId, reason, filter)
    await this.invalidations.sync()
    return revoked
  }

  // A ban ends the user's sessions through revokeAll, which drops them from the cache.
  async ban (userId: UserId, ban: UserBan, ttlMs: number | undefined): Promise<void> {
    await this.store.ban(userId, ban, ttlMs)
  }

  async unban (userId: UserId): Promise<boolean> {
    return await this.store.unban(userId)
  }

  async findBan (userId: UserId): Promise<UserBan | undefined> {
    return await this.store.findBan(userId)
  }

  async findBans (userIds: readonly UserId[]): Promise<Array<UserBan | undefined>> {
    return await this.store.findBans(userIds)
  }

  async ping (): Promise<void> {
    await this.store.ping()
  }

  private async touchAndCache (key: string, userId: UserId, sessionId: string, request: TouchRequest): Promise<TouchResult> {
    const fill = this.cache.beginFill(key)
    let touched: TouchResult | undefined
    try {
      touched = await this.store.touch(userId, sessionId, request)
      return touched
    } finally {
      if (fill !== undefined) this.cache.endFill(fill, touched === undefined ? undefined : cacheEntryOf(touched, request))
    }
  }

  private touchInBackground (key: string, userId: UserId, sessionId: string, request: TouchRequest): void {
    if (!this.cache.startTouch(key)) return
    // Never a reissue here: its new token would reach no client.
    this.touchAndCache(key, userId, sessionId, { ...request, reissueAfterSeconds: 0 })
      .then(async (touched) => {
        if (touched.status !== 'alive') this.cache.invalidate(key)
        else if (touched.wroteSession === true) await this.refillAfterOwnWrite(key, userId, sessionId, request)
      })
      .catch(this.onBackgroundTouchError)
      .finally(() => this.cache.endTouch(key))
  }

  // After a miss whose touch wrote the session (a new session's first check writes "last seen"),
  // so that the session's next check is a hit; off the response path.
  private refillInBackground (key: string, userId: UserId, sessionId: string, request: TouchRequest): void {
    if (!this.cache.startTouch(key)) return
    this.refillAfterOwnWrite(key, userId, sessionId, request)
      .catch(this.onBackgroundTouchError)
      .finally(() => this.cache.endTouch(key))
  }

  // A touch's own write reaches this instance as an invalidation like anyone's, and drops what
  // the touch read: the entry is read again once that invalidation has arrived (sync), by a
  // touch that writes nothing. Whatever changes the session after the sync overtakes this read
  // as it would any other, so nothing is cached that Redis has since changed.
  // Checks of the session that miss meanwhile wait for it (rereads): it settles, never rejects.
  private async refillAfterOwnWrite (key: string, userId: UserId, sessionId: string, request: TouchRequest): Promise<void> {
    let failure: unknown
    const reread = this.reread(key, userId, sessionId, request).catch((error: unknown) => { failure = error })
    this.rereads.set(key, reread)
    try {
      await reread
    } finally {
      if (this.rereads.get(key) === reread) this.rereads.delete(key)
    }
    if (failure !== undefined) throw failure
  }

  private async reread (key: string, userId: UserId, sessionId: string, request: TouchRequest): Promise<void> {
    await this.invalidations.sync()
    const reread = await this.touchAndCache(key, userId, sessionId, { ...request, keepAlive: false, reissueAfterSeconds: 0 })
    if (reread.status !== 'alive') this.cache.invalidate(key)
  }
}

// A hit must answer exactly what the touch script would: the presented token is the session's
// current one, and no reissue is due (that needs the script's atomic decision).
function servesRequest (cached: CachedSession, request: TouchRequest): boolean {
  if (cached.tokenIat !== undefined && cached.tokenIat !== request.tokenIat) return false
  if (request.reissueAfterSeconds === 0) return true
  return request.nowMs < (request.tokenIat + request.reissueAfterSeconds) * MS_PER_SECOND
}

function cacheEntryOf (touched: TouchResult, request: TouchRequest): CachedSession | undefined {
  // A key without a TTL should not exist; it is not worth caching.
  if (touched.status !== 'alive' || touched.expiresInMs < 0) return undefined
  // `nowMs` was read before the touch ran, so this expiry is never later than Redis' own.
  const expiresAtMs = request.nowMs + touched.expiresInMs
  // A session with its own idle TTL (a device rule, rememberMe: false) slides by that.
  const { ttlMs, slideEveryMs } = touched.ownTtl ?? request
  // Sliding: due once the session has lost a slide interval of its TTL, when the script extends it.
  const touchDueAtMs = ttlMs > 0
    ? expiresAtMs - ttlMs + slideEveryMs
    : request.nowMs + slideEveryMs
  const { tokenIat, deviceType, notRemembered, deadlineMs } = touched
  return {
    account: touched.account,
    userType: touched.userType,
    authAt: touched.authAt,
    amr: touched.amr,
    expiresAtMs,
    touchDueAtMs,
    ...(tokenIat === undefined ? {} : { tokenIat }),
    ...(deviceType === undefined ? {} : { deviceType }),
    ...(notRemembered === true ? { notRemembered } : {}),
    ...(deadlineMs === undefined ? {} : { deadlineMs })
  }
}
