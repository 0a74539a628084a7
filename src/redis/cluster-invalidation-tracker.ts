import { Redis, type Cluster, type RedisOptions } from 'ioredis'
import { ClusterMasters } from './cluster-masters.js'
import { InvalidationTracker, type InvalidationListener, type TrackerLog } from './invalidation-tracker.js'

interface MasterTracker {
  readonly tracker: InvalidationTracker
  tracking: boolean
  start: () => Promise<void>
  close: () => Promise<void>
}

// The near-cache on a Redis Cluster. Each master reports only the changes to the keys it holds,
// so there is one tracker (one broadcast-tracking connection) per master. The cache serves only
// while every current master's tracker is on. A master that appears (a failover's promoted
// replica, a node given slots) turns it off until its own tracker is on, and turning on flushes
// what was cached before, as on one Redis. A slot that moves between tracked masters needs
// nothing more: the move deletes the keys on one and writes them on the other, and both report it.
export class ClusterInvalidationTracker {
  private readonly masters: ClusterMasters<MasterTracker>
  private enabled = false

  constructor (
    cluster: Cluster,
    private readonly keyPrefix: string,
    private readonly listener: InvalidationListener,
    private readonly log: TrackerLog
  ) {
    this.masters = new ClusterMasters(cluster, (address, _node, options) => this.track(address, options), () => this.update())
  }

  // Resolves once every master known now is tracked, or has failed and will be retried.
  async connect (): Promise<void> {
    await this.masters.start()
  }

  async sync (): Promise<void> {
    await Promise.all(this.masters.current.map(async ({ tracker }) => await tracker.sync()))
  }

  async close (): Promise<void> {
    await this.masters.close()
  }

  private track (address: string, options: RedisOptions): MasterTracker {
    const connection = new Redis({ ...options, protocol: 2, autoResubscribe: false })
    const setTracking = (tracking: boolean): void => {
      master.tracking = tracking
      // A tracker of a master that left changes nothing.
      if (this.masters.isCurrent(address, master)) this.update()
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
    const tracker = new InvalidationTracker(connection, this.keyPrefix, listener, log)
    const master: MasterTracker = {
      tracker,
      tracking: false,
      start: async () => await tracker.connect(),
      close: async () => await tracker.close()
    }
    return master
  }

  private update (): void {
    const masters = this.masters.current
    const allTracking = masters.length > 0 && masters.every((master) => master.tracking)
    if (allTracking === this.enabled) return
    this.enabled = allTracking
    if (allTracking) this.listener.enable()
    else this.listener.disable()
  }
}
