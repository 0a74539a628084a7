import { setTimeout as sleep } from 'node:timers/promises'
import { Cluster, Redis } from 'ioredis'
import { RedisServer } from './redis-server.js'

const SLOT_COUNT = 16384
const NODE_COUNT = 3
const SLOTS_PER_NODE = Math.ceil(SLOT_COUNT / NODE_COUNT)
const READY_TIMEOUT_MS = 30_000
const POLL_INTERVAL_MS = 100

// A Redis Cluster of three masters on free ports, each serving a third of the slots: a pipeline
// whose keys lie on two nodes, or a script given keys of two slots, fails here as on any cluster.
export class RedisCluster {
  private constructor (readonly nodes: readonly RedisServer[]) {}

  static async start (): Promise<RedisCluster> {
    const nodes = await Promise.all(Array.from({ length: NODE_COUNT }, async () => await RedisServer.start({ clusterNode: true })))
    const cluster = new RedisCluster(nodes)
    try {
      await cluster.join()
    } catch (error) {
      await cluster.destroy()
      throw error
    }
    return cluster
  }

  // A client that follows the cluster's slots, as a service would use one.
  client (): Cluster {
    return new Cluster(this.nodes.map((node) => ({ host: '127.0.0.1', port: node.port })))
  }

  // Which node (its index in `nodes`) serves the slot of `key`.
  async nodeOf (key: string): Promise<number> {
    const probe = this.connection(0)
    try {
      return Math.floor(Number(await probe.call('CLUSTER', 'KEYSLOT', key)) / SLOTS_PER_NODE)
    } finally {
      probe.disconnect()
    }
  }

  async destroy (): Promise<void> {
    await Promise.all(this.nodes.map(async (node) => await node.destroy()))
  }

  private connection (index: number): Redis {
    return new Redis(this.nodes[index]?.port ?? 0, '127.0.0.1', { maxRetriesPerRequest: 0 })
  }

  // Node i serves slots [i * SLOTS_PER_NODE, (i + 1) * SLOTS_PER_NODE): then every node meets the
  // first, and the cluster is ready once each node reports it so.
  private async join (): Promise<void> {
    const connections = this.nodes.map((_, i) => this.connection(i))
    try {
      for (const [i, connection] of connections.entries()) {
        const last = Math.min((i + 1) * SLOTS_PER_NODE, SLOT_COUNT) - 1
        await connection.call('CLUSTER', 'ADDSLOTSRANGE', String(i * SLOTS_PER_NODE), String(last))
      }
      for (const node of this.nodes.slice(1)) await connections[0]?.call('CLUSTER', 'MEET', '127.0.0.1', String(node.port))
      const deadline = Date.now() + READY_TIMEOUT_MS
      for (;;) {
        const infos = await Promise.all(connections.map(async (connection) => String(await connection.call('CLUSTER', 'INFO'))))
        if (infos.every((info) => info.includes('cluster_state:ok') && info.includes(`cluster_known_nodes:${NODE_COUNT}`))) return
        if (Date.now() > deadline) throw new Error(`the cluster did not form: ${infos.join(' | ')}`)
        await sleep(POLL_INTERVAL_MS)
      }
    } finally {
      for (const connection of connections) connection.disconnect()
    }
  }
}
