import { execFile } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { Cluster, Redis, type RedisOptions } from 'ioredis'
import { RedisServer } from './redis-server.js'
import type { TestCertificates } from './tls-certificates.js'

const SLOT_COUNT = 16384
const MASTER_COUNT = 3
const SLOTS_PER_MASTER = Math.ceil(SLOT_COUNT / MASTER_COUNT)
const READY_TIMEOUT_MS = 30_000
const POLL_INTERVAL_MS = 100
const RESHARD_TIMEOUT_MS = 120_000

const run = promisify(execFile)

export interface RedisClusterOptions {
  // A replica for each master, so that a master can fail over.
  replicas?: boolean
  // TLS only, on the client ports, the bus and replication (see RedisServer.start).
  tls?: TestCertificates
}

// A Redis Cluster of three masters on free ports, each serving a third of the slots (and, if
// asked, a replica each): a pipeline whose keys lie on two nodes, or a script given keys of two
// slots, fails here as on any cluster. Masters are nodes[0..2]; the replica of nodes[i] is
// nodes[i + 3].
export class RedisCluster {
  private constructor (readonly nodes: readonly RedisServer[]) {}

  static async start (options: RedisClusterOptions = {}): Promise<RedisCluster> {
    const count = options.replicas === true ? 2 * MASTER_COUNT : MASTER_COUNT
    const started = await Promise.allSettled(Array.from({ length: count }, async () => await RedisServer.start({ clusterNode: true, tls: options.tls })))
    const nodes = started.flatMap((result) => result.status === 'fulfilled' ? [result.value] : [])
    const failed = started.find((result) => result.status === 'rejected')
    if (failed !== undefined) {
      // The nodes that did start would otherwise keep the test process alive.
      await Promise.all(nodes.map(async (node) => await node.destroy()))
      throw failed.reason
    }
    const cluster = new RedisCluster(nodes)
    try {
      await cluster.join()
    } catch (error) {
      await cluster.destroy()
      throw error
    }
    return cluster
  }

  // REDIS_CLUSTER_NODES: the masters, as seed nodes.
  get seedNodes (): string {
    return this.nodes.slice(0, MASTER_COUNT).map((node) => `127.0.0.1:${node.port}`).join(',')
  }

  // A client that follows the cluster's slots, as a service would use one.
  client (): Cluster {
    return new Cluster(this.nodes.slice(0, MASTER_COUNT).map((node) => ({ host: '127.0.0.1', port: node.port })), {
      redisOptions: this.connectionOptions
    })
  }

  private get connectionOptions (): RedisOptions {
    return this.nodes[0]?.connectionOptions ?? {}
  }

  // Which master (its index in `nodes`) served the slot of `key` when the cluster formed.
  async nodeOf (key: string): Promise<number> {
    return Math.floor(await this.slotOf(key) / SLOTS_PER_MASTER)
  }

  async slotOf (key: string): Promise<number> {
    return await this.withConnection(0, async (connection) => Number(await connection.call('CLUSTER', 'KEYSLOT', key)))
  }

  // The port of the node serving `slot` now.
  async portServing (slot: number): Promise<number> {
    return await this.withConnection(this.someLiveNode(), async (connection) => {
      const ranges = await connection.call('CLUSTER', 'SLOTS') as Array<[number, number, [string, number]]>
      const range = ranges.find(([first, last]) => slot >= first && slot <= last)
      if (range === undefined) throw new Error(`no node serves slot ${slot}`)
      return range[2][1]
    })
  }

  // Moves `slots` slots, keys and all, from one master to another with `redis-cli --cluster
  // reshard`, as an operator would; it moves the source's lowest slots first.
  async reshard (from: number, to: number, slots: number): Promise<void> {
    const [fromId, toId] = await Promise.all([this.nodeId(from), this.nodeId(to)])
    await run('redis-cli', [
      '--cluster', 'reshard', `127.0.0.1:${this.port(from)}`,
      '--cluster-from', fromId, '--cluster-to', toId, '--cluster-slots', String(slots), '--cluster-yes'
    ], { timeout: RESHARD_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 })
  }

  // Kills master `index` and resolves once its replica serves its slots and the cluster is ok.
  async failOver (index: number): Promise<void> {
    const replica = this.nodes[index + MASTER_COUNT]
    if (replica === undefined) throw new Error('the cluster was started without replicas')
    await this.nodes[index]?.stop()
    await this.waitUntil(async () => {
      const info = await this.withConnection(index + MASTER_COUNT, async (connection) => String(await connection.call('INFO', 'replication')))
      return info.includes('role:master')
    }, 'the replica to take over')
    await this.waitUntilOk((i) => i !== index)
  }

  // How many connections listen to `channel` on node `index` (PUBSUB NUMSUB counts one node's own).
  async listeners (index: number, channel: string): Promise<number> {
    return await this.withConnection(index, async (connection) => Number((await connection.call('PUBSUB', 'NUMSUB', channel) as [string, number])[1]))
  }

  // Node `index`'s notify-keyspace-events, as CONFIG GET says it.
  async notifyKeyspaceEvents (index: number): Promise<string> {
    return await this.withConnection(index, async (connection) => String((await connection.config('GET', 'notify-keyspace-events') as string[])[1] ?? ''))
  }

  async destroy (): Promise<void> {
    await Promise.all(this.nodes.map(async (node) => await node.destroy()))
  }

  private port (index: number): number {
    const node = this.nodes[index]
    if (node === undefined) throw new Error(`no node ${index}`)
    return node.port
  }

  private someLiveNode (): number {
    // A master that failOver killed answers nothing; its replica then knows the slots.
    return this.nodes.length > MASTER_COUNT ? MASTER_COUNT : 0
  }

  private async nodeId (index: number): Promise<string> {
    return await this.withConnection(index, async (connection) => String(await connection.call('CLUSTER', 'MYID')))
  }

  private async withConnection<T> (index: number, use: (connection: Redis) => Promise<T>): Promise<T> {
    const connection = new Redis(this.port(index), '127.0.0.1', { ...this.connectionOptions, maxRetriesPerRequest: 0 })
    try {
      return await use(connection)
    } finally {
      connection.disconnect()
    }
  }

  // Master i serves slots [i * SLOTS_PER_MASTER, (i + 1) * SLOTS_PER_MASTER): every node meets
  // the first, each replica follows its master, and the cluster is ready once each node says so.
  private async join (): Promise<void> {
    for (let i = 0; i < MASTER_COUNT; i++) {
      const last = Math.min((i + 1) * SLOTS_PER_MASTER, SLOT_COUNT) - 1
      await this.withConnection(i, async (connection) => await connection.call('CLUSTER', 'ADDSLOTSRANGE', String(i * SLOTS_PER_MASTER), String(last)))
    }
    await this.withConnection(0, async (connection) => {
      // The bus port too: it is not the default port + 10000 (see RedisServer.start).
      for (const node of this.nodes.slice(1)) await connection.call('CLUSTER', 'MEET', '127.0.0.1', String(node.port), String(node.clusterPort))
    })
    await this.waitUntilOk(() => true)
    for (let i = MASTER_COUNT; i < this.nodes.length; i++) {
      const masterId = await this.nodeId(i - MASTER_COUNT)
      // A replica can follow a master only once it has heard of it through the gossip.
      await this.waitUntil(async () => await this.withConnection(i, async (connection) =>
        await connection.call('CLUSTER', 'REPLICATE', masterId).then(() => true, () => false)), 'a replica to follow its master')
    }
    for (let i = MASTER_COUNT; i < this.nodes.length; i++) {
      await this.waitUntil(async () => await this.withConnection(i, async (connection) =>
        String(await connection.call('INFO', 'replication')).includes('master_link_status:up')), 'a replica to sync with its master')
    }
    await this.waitUntilOk(() => true)
  }

  private async waitUntilOk (included: (index: number) => boolean): Promise<void> {
    const indexes = this.nodes.map((_, i) => i).filter(included)
    const known = this.nodes.length
    await this.waitUntil(async () => {
      const infos = await Promise.all(indexes.map(async (i) => await this.withConnection(i, async (connection) => String(await connection.call('CLUSTER', 'INFO')))))
      return infos.every((info) => info.includes('cluster_state:ok') && info.includes(`cluster_known_nodes:${known}`))
    }, 'the cluster to be ok')
  }

  private async waitUntil (condition: () => Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
      await sleep(POLL_INTERVAL_MS)
    }
  }
}
