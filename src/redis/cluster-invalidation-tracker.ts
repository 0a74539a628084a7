import { Redis, type Cluster } from 'ioredis'
import { InvalidationTracker, type InvalidationListener, type TrackerLog } from './invalidation-tracker.js'

const MAX_RECONNECT_DELAY_MS = 1000
const RECONNECT_STEP_MS = 100

interface MasterTracker {
  readonly tracker: InvalidationTracker
  readonly state: { tracking: boolean }
}

// The near-cache on a Redis Cluster. Each master reports only the changes to the keys it holds,
// so there is one tracker (one broadcast-tracking connection) per master. The cache serves only
// while every current master's tracker is on. A master that appears (a failover's promoted
// replica, a node given slots) turns it off until its own tracker is on, and turning on flushes
// what was cached before, as on one Redis. A slot that moves between tracked masters needs
// nothing more: the move deletes the keys on one and writes them on the other, and both report it.
export class ClusterInvalidationTracker {
  private readonly masters = new Map<string, MasterTracker>()
  private enabled = false
  private closed = false

  constructor (
    private readonly cluster: Cluster,
    private readonly keyPrefix: string,
    private readonly listener: InvalidationListener,
    private readonly log: TrackerLog
  ) {
    // ioredis refreshes its slot map at start, on MOVED and every few seconds.
    cluster.on('refresh', () => { void this.followMasters() })
  }

  // Resolves once every master known now is tracked, or has failed and will be retried.
  async connect (): Promise<void> {
    await this.followMasters()
  }

  async sync (): Promise<void> {
    await Promise.all([...this.masters.values()].map(async ({ tracker }) => await tracker.sync()))
  }

  async close (): Promise<void> {
    this.closed = true
    const closing = [...this.masters.values()].map(async ({ tracker }) => await tracker.close())
    this.masters.clear()
    this.update()
    await Promise.all(closing)
  }

  private async followMasters (): Promise<void> {
    if (this.closed) return
    const current = new Map(this.cluster.nodes('master').map((node) => [`${node.options.host ?? ''}:${node.options.port ?? ''}`, node]))
    const gone = [...this.masters].filter(([address]) => !current.has(address))
    for (const [address] of gone) this.masters.delete(address)
    const started: Array<Promise<void>> = []
    for (const [address, node] of current) {
      if (this.masters.has(address)) continue
      const master = this.track(address, node)
      this.masters.set(address, master)
      started.push(master.tracker.connect())
    }
    this.update()
    await Promise.all([...started, ...gone.map(async ([, { tracker }]) => await tracker.close())])
  }

  private track (address: string, node: Redis): MasterTracker {
    // The node's own options (address, credentials, TLS, timeouts), reconnecting for as long as
    // it stays a master: the cluster's node connections leave reconnection to the cluster.
    const connection = new Redis({
      ...node.options,
      protocol: 2,
      autoResubscribe: false,
      lazyConnect: true,
      enableOfflineQueue: false,
      retryStrategy: (attempt: number) => Math.min(attempt * RECONNECT_STEP_MS, MAX_RECONNECT_DELAY_MS)
    })
    const state = { tracking: false }
    const setTracking = (tracking: boolean): void => {
      state.tracking = tracking
      // A tracker of a master that left changes nothing.
      if (this.masters.get(address)?.state === state) this.update()
    }
    const listener: InvalidationListener = {
      invalidate: (key) => this.listener.invalidate(key),
      flush: () => this.listener.flush(),
      enable: () => setTracking(true),
      disable: () => setTracking(false)
    }
    const log: TrackerLog = {
      warn: (details, message) => this.log.warn({ ...details, redisNode: address }, message),
      info: (message) => this.log.info(`${message} (${address})`)
    }
    return { tracker: new InvalidationTracker(connection, this.keyPrefix, listener, log), state }
  }

  private update (): void {
    const allTracking = this.masters.size > 0 && [...this.masters.values()].every(({ state }) => state.tracking)
    if (allTracking === this.enabled) return
    this.enabled = allTracking
    if (allTracking) this.listener.enable()
    else this.listener.disable()
  }
}
