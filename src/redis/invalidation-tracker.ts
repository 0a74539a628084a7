import type { Redis } from 'ioredis'

// Redis server-assisted client-side caching, broadcast mode: Redis reports every change to a key
// under the prefix (write, delete, expiry, eviction) on one dedicated connection. The connection
// tracks and receives itself (CLIENT TRACKING ... REDIRECT <own id>) over RESP2 pub/sub, because
// that is where ioredis delivers the messages; in RESP3 it drops the invalidation pushes.
const INVALIDATION_CHANNEL = '__redis__:invalidate'
const HEARTBEAT_INTERVAL_MS = 1000
const PERMANENT_FAILURE = /unknown (sub)?command|NOPERM/i

export interface InvalidationListener {
  invalidate: (key: string) => void
  // Redis was flushed: every key may be gone.
  flush: () => void
  // Invalidations flow from now on; what was cached before may be stale.
  enable: () => void
  // Invalidations may be missed from now on: stop serving from the cache.
  disable: () => void
}

export interface TrackerLog {
  warn: (details: object, message: string) => void
  info: (message: string) => void
}

export class InvalidationTracker {
  private tracking = false
  private closed = false
  // Bumped by every (re)connection, so a set-up that a newer connection overtook changes nothing.
  private connectionGeneration = 0
  private readonly heartbeat: NodeJS.Timeout
  private lastFailure?: string
  // The latest set-up, which the first connect waits for.
  private started: Promise<void> = Promise.resolve()

  // `connection` must be a dedicated ioredis client with `protocol: 2`, `autoResubscribe: false`
  // and `lazyConnect: true`; the tracker connects it and owns it from then on.
  constructor (
    private readonly connection: Redis,
    private readonly keyPrefix: string,
    private readonly listener: InvalidationListener,
    private readonly log: TrackerLog
  ) {
    connection.on('ready', () => { this.started = this.startTracking() })
    connection.on('close', () => {
      if (!this.closed) this.stopTracking('the invalidation connection closed')
    })
    // ioredis reports connection errors here as well as through 'close'; without a listener
    // they would crash the process.
    connection.on('error', () => {})
    connection.on('messageBuffer', (channel: Buffer, keys: Buffer[] | null) => {
      if (channel.toString() !== INVALIDATION_CHANNEL) return
      // A null list is Redis' "everything" (FLUSHALL, FLUSHDB).
      if (keys === null) this.listener.flush()
      else for (const key of keys) this.listener.invalidate(key.toString())
    })
    this.heartbeat = setInterval(() => { void this.sync() }, HEARTBEAT_INTERVAL_MS).unref()
  }

  // Resolves once tracking is on, or has failed and will be retried as the connection returns.
  async connect (): Promise<void> {
    await this.connection.connect().catch((error: unknown) => this.stopTracking(String(error)))
    await this.started
  }

  // Resolves once every invalidation for changes Redis made before this call has been applied:
  // Redis answers the PING after the messages queued before it, on the same connection. If the
  // connection does not answer in time, the cache is switched off rather than trusted.
  async sync (): Promise<void> {
    if (!this.tracking) return
    try {
      await this.connection.ping()
    } catch (error) {
      this.stopTracking(`the invalidation connection did not answer: ${String(error)}`)
      // A stalled connection may hold invalidations we will never see: start afresh.
      this.connection.disconnect(true)
    }
  }

  async close (): Promise<void> {
    this.closed = true
    clearInterval(this.heartbeat)
    this.stopTracking()
    this.connection.disconnect()
  }

  private async startTracking (): Promise<void> {
    const generation = ++this.connectionGeneration
    try {
      const clientId = await this.connection.client('ID')
      await this.connection.client('TRACKING', 'ON', 'REDIRECT', clientId, 'BCAST', 'PREFIX', this.keyPrefix)
      await this.connection.subscribe(INVALIDATION_CHANNEL)
    } catch (error) {
      // A set-up that a newer connection overtook: its failure says nothing about the newer one.
      if (generation !== this.connectionGeneration) return
      this.stopTracking(`could not start tracking: ${String(error)}`)
      // Redis before 6, a proxy without tracking, or an ACL forbidding it: sessions are simply
      // read from Redis. Anything else (a timeout) is retried on a fresh connection.
      if (!PERMANENT_FAILURE.test(String(error))) this.connection.disconnect(true)
      return
    }
    if (generation !== this.connectionGeneration || this.connection.status !== 'ready') return
    this.tracking = true
    this.listener.enable()
    if (this.lastFailure !== undefined) this.log.info('Near-cache enabled again: Redis invalidations flow')
    this.lastFailure = undefined
  }

  private stopTracking (reason?: string): void {
    this.connectionGeneration++
    this.tracking = false
    this.listener.disable()
    // One line per outage, not one per reconnect attempt.
    if (reason !== undefined && this.lastFailure === undefined) {
      this.log.warn({ reason }, 'Near-cache disabled until Redis invalidations flow again')
      this.lastFailure = reason
    }
  }
}
