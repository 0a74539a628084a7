import { once } from 'node:events'
import { Cluster, type Redis } from 'ioredis'
import { newRedisClient } from '../src/redis/redis-connection.js'
import { RedisCluster } from '../test/helpers/redis-cluster.js'
import { addCleanup } from './cleanup.js'

// The Redis Cluster of the cluster phase: the one REDIS_CLUSTER_NODES names in the bench's
// environment (with REDIS_USERNAME, REDIS_PASSWORD and the TLS settings), else three masters
// started here on free ports. Its keys are counted and removed by their prefix, so a shared
// cluster keeps its own.

export interface BenchCluster {
  description: string
  // Our server's settings for it: REDIS_CLUSTER_NODES, and the credentials and TLS settings when given.
  settings: Record<string, string>
  // A connection to each master, for INFO.
  masters: Redis[]
}

// Every key the phase writes on the cluster starts with this.
export const CLUSTER_KEY_PREFIX = 'bench-cluster-'
const SCAN_BATCH = 1000

function clusterSettings (nodes: string): Record<string, string> {
  const settings: Record<string, string> = { REDIS_CLUSTER_NODES: nodes }
  const given = [
    'REDIS_USERNAME', 'REDIS_PASSWORD', 'REDIS_TLS', 'REDIS_TLS_CA', 'REDIS_TLS_CERT', 'REDIS_TLS_KEY', 'REDIS_CLUSTER_NAT_MAP', 'REDIS_CLUSTER_DNS_LOOKUP'
  ]
  for (const name of given) {
    const value = process.env[name]
    if (value !== undefined && value !== '') settings[name] = value
  }
  return settings
}

async function startLocalCluster (): Promise<string> {
  const cluster = await RedisCluster.start()
  addCleanup(async () => await cluster.destroy())
  return cluster.seedNodes
}

async function removeBenchKeys (masters: Redis[]): Promise<void> {
  await Promise.all(masters.map(async (master) => {
    for await (const keys of master.scanStream({ match: `${CLUSTER_KEY_PREFIX}*`, count: SCAN_BATCH }) as AsyncIterable<string[]>) {
      // One key per command: keys of several slots cannot share one.
      if (keys.length > 0) await Promise.all(keys.map(async (key) => await master.unlink(key)))
    }
  }))
}

export async function openBenchCluster (): Promise<BenchCluster> {
  const given = process.env.REDIS_CLUSTER_NODES
  const nodes = given === undefined || given === '' ? await startLocalCluster() : given
  const settings = clusterSettings(nodes)
  // The server's own client for these settings; REDIS_URL is not read when nodes are given.
  const client = newRedisClient({ REDIS_URL: 'redis://unused', ...settings }, { maxRetriesPerRequest: 1 })
  if (!(client instanceof Cluster)) throw new Error('REDIS_CLUSTER_NODES gave no cluster client')
  addCleanup(() => client.disconnect())
  if (client.status !== 'ready') await once(client, 'ready')
  const masters = client.nodes('master')
  addCleanup(async () => await removeBenchKeys(masters))
  return {
    description: `${given === undefined || given === '' ? 'a local cluster' : 'REDIS_CLUSTER_NODES'}: ${masters.length} masters`,
    settings,
    masters
  }
}
