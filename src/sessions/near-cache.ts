// A per-instance cache of live sessions, keyed by their Redis key. It is only as correct as
// the invalidations it is told about, so it serves nothing while it is disabled (no live
// invalidation channel), and a fill that an invalidation or a flush overtook is dropped.

export interface CachedSession {
  account: string
  userType: string
  // When the user last proved who they are in the session (ms since the epoch).
  authAt: number
  // How the user proved who they are (RFC 8176 amr).
  amr: readonly string[]
  // The iat of the session's current token, where reissue tracks it.
  tokenIat?: number
  // When Redis will let the key expire, by our clock (a lower bound): served until then at most.
  expiresAtMs: number
  // When the session is due for a background touch (slide, "last seen").
  touchDueAtMs: number
  // What the touch told of it beyond its being alive (device type, rememberMe: false).
  deviceType?: string
  notRemembered?: boolean
  // Its absolute deadline (ms), which the key's expiry may overshoot by a moment, or none.
  deadlineMs?: number
}

// A read from Redis on its way into the cache.
export interface PendingFill {
  readonly key: string
  readonly epoch: number
  overtaken: boolean
}

// Running totals since start, read when /metrics is scraped: plain numbers, as a hit or a miss
// happens on every authenticated request.
export interface NearCacheCounts {
  // Session checks answered from the cache, and those that read Redis instead.
  hits: number
  misses: number
  // Keys invalidated one by one: a change Redis reported under the session prefix (any
  // instance's write, this one's slides included), or a session this instance ended.
  invalidations: number
  // The whole cache dropped: tracking started or stopped, or Redis was flushed.
  flushes: number
  // Entries dropped to stay within NEAR_CACHE_MAX_ENTRIES.
  evictions: number
}

export class NearCache {
  readonly counts: NearCacheCounts = { hits: 0, misses: 0, invalidations: 0, flushes: 0, evictions: 0 }
  private readonly entries = new Map<string, CachedSession>()
  private readonly fills = new Map<string, Set<PendingFill>>()
  private readonly touching = new Set<string>()
  // Bumped by every flush: fills begun before it describe a world the cache no longer tracks.
  private epoch = 0
  private enabled = false

  constructor (private readonly maxEntries: number) {}

  get size (): number {
    return this.entries.size
  }

  get isEnabled (): boolean {
    return this.enabled
  }

  get (key: string, nowMs: number): CachedSession | undefined {
    const entry = this.entries.get(key)
    if (entry === undefined || entry.expiresAtMs > nowMs) return entry
    this.entries.delete(key)
    return undefined
  }

  // Call before the Redis read whose answer may be cached; undefined while disabled.
  beginFill (key: string): PendingFill | undefined {
    if (!this.enabled) return undefined
    const fill: PendingFill = { key, epoch: this.epoch, overtaken: false }
    const pending = this.fills.get(key)
    if (pending === undefined) this.fills.set(key, new Set([fill]))
    else pending.add(fill)
    return fill
  }

  // Stores the session read by `fill` unless something invalidated it meanwhile;
  // undefined (the session is not alive, or the read failed) only ends the fill.
  endFill (fill: PendingFill, session?: CachedSession): void {
    const pending = this.fills.get(fill.key)
    pending?.delete(fill)
    if (pending?.size === 0) this.fills.delete(fill.key)
    if (session === undefined || fill.overtaken || fill.epoch !== this.epoch || !this.enabled) return
    // Re-inserted at the end, so eviction drops the sessions filled longest ago first.
    this.entries.delete(fill.key)
    if (this.entries.size >= this.maxEntries) this.evictOldest()
    this.entries.set(fill.key, session)
  }

  invalidate (key: string): void {
    this.counts.invalidations++
    this.entries.delete(key)
    const pending = this.fills.get(key)
    if (pending === undefined) return
    for (const fill of pending) fill.overtaken = true
  }

  // Everything may have changed unseen (the invalidation channel was lost, Redis was flushed).
  flush (): void {
    this.counts.flushes++
    this.entries.clear()
    this.epoch++
  }

  enable (): void {
    this.flush()
    this.enabled = true
  }

  disable (): void {
    this.enabled = false
    this.flush()
  }

  // One background touch per session at a time; false if one is already running.
  startTouch (key: string): boolean {
    if (this.touching.has(key)) return false
    this.touching.add(key)
    return true
  }

  endTouch (key: string): void {
    this.touching.delete(key)
  }

  private evictOldest (): void {
    const oldest = this.entries.keys().next()
    if (oldest.done === true) return
    this.entries.delete(oldest.value)
    this.counts.evictions++
  }
}
