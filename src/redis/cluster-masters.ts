import { Redis, type Cluster, type RedisOptions } from 'ioredis'
import { reconnectDelayMs } from './resilient-connection.js'

export interface MasterWatch {
  // Resolves once it works, or has failed and will be retried.
  start: () => Promise<void>
  close: () => Promise<void>
}

// One watch per master of a Redis Cluster, for what each master reports only of the keys it holds
// (client-tracking invalidations, keyspace notifications). ioredis refreshes its slot map at the
// start, on MOVED and every few seconds: a master that appears there (a failover's promoted
// replica, a node given slots) gets a watch, and one that left has its watch closed.
export class ClusterMasters<Watch extends MasterWatch> {
  private readonly watches = new Map<string, Watch>()
  private closed = false

  constructor (
    private readonly cluster: Cluster,
    // `node` is the cluster's own connection to the master; `connectionOptions` open another one.
    private readonly watch: (address: string, node: Redis, connectionOptions: RedisOptions) => Watch,
    private readonly changed: () => void = () => {}
  ) {
    cluster.on('refresh', () => { void this.follow() })
  }

  get current (): Watch[] {
    return [...this.watches.values()]
  }

  isCurrent (address: string, watch: Watch): boolean {
    return this.watches.get(address) === watch
  }

  // Resolves once every master known now is watched.
  async start (): Promise<void> {
    await this.follow()
  }

  async close (): Promise<void> {
    this.closed = true
    const closing = this.current.map(async (watch) => await watch.close())
    this.watches.clear()
    this.changed()
    await Promise.all(closing)
  }

  private async follow (): Promise<void> {
    if (this.closed) return
    const masters = new Map(this.cluster.nodes('master').map((node) => [`${node.options.host ?? ''}:${node.options.port ?? ''}`, node]))
    const gone = [...this.watches].filter(([address]) => !masters.has(address))
    for (const [address] of gone) this.watches.delete(address)
    const added: Watch[] = []
    for (const [address, node] of masters) {
      if (this.watches.has(address)) continue
      const watch = this.watch(address, node, connectionOptionsOf(node))
      this.watches.set(address, watch)
      added.push(watch)
    }
    this.changed()
    await Promise.all([...added.map(async (watch) => await watch.start()), ...gone.map(async ([, watch]) => await watch.close())])
  }
}

// The node's own options (address, credentials, TLS, timeouts) for a connection of the watch's,
// reconnecting for as long as the node stays a master: the cluster's node connections leave
// reconnection to the cluster.
function connectionOptionsOf (node: Redis): RedisOptions {
  return {
    ...node.options,
    lazyConnect: true,
    enableOfflineQueue: false,
    retryStrategy: reconnectDelayMs
  }
}
