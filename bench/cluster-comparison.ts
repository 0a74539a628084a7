import type { Redis } from 'ioredis'
import type { NearCacheMode } from './our-server.js'
import type { BenchCluster } from './redis-cluster.js'
import { measureRevocationBetweenInstances, type RevocationRow } from './revocation-pair.js'
import type { RunningServer } from './servers.js'
import { registerAccounts } from './sessions.js'
import type { BenchSettings } from './settings.js'
import { keyPrefixFor, logInOurSessions, startOurServer, type BenchContext } from './setup.js'
import { median } from './stats.js'
import { summariseThroughput, type ThroughputRow } from './throughput-rows.js'
import { measureInterleaved, type Target } from './throughput.js'

// Our GET /auth/me on a Redis Cluster beside the same on one Redis, near-cache on and off: four
// servers loaded in interleaved rounds, so a slow minute of the machine lands on all four, and
// each ratio (cluster ÷ one Redis) read round by round. Then a logout on one instance and the
// time until a second refuses the token, on each, with the near-cache on: what a cluster could
// change there is the invalidation each master sends (with the near-cache off, B asks Redis).
// Every trial is a login (argon2), so this part is kept to one mode.

export type RedisSide = 'single' | 'cluster'

const SIDES: RedisSide[] = ['single', 'cluster']
const NEAR_CACHE_MODES: NearCacheMode[] = ['on', 'off']

export interface ClusterComparisonRow {
  nearCache: NearCacheMode
  single: ThroughputRow
  cluster: ThroughputRow
  // req/s on the cluster ÷ on one Redis, per interleaved round, and their median.
  roundRatios: number[]
  ratio: number
  // Server CPU per request, cluster ÷ one Redis, over all measured runs.
  cpuRatio: number
}

export interface ClusterRevocationRow extends RevocationRow {
  side: RedisSide
}

export interface ClusterComparison {
  cluster: string
  rounds: number
  rows: ClusterComparisonRow[]
  revocation: ClusterRevocationRow[]
}

// Every key written on the cluster starts with `bench-cluster-` (CLUSTER_KEY_PREFIX).
function purposeFor (side: RedisSide): string {
  return `bench-${side}`
}

function contextFor (context: BenchContext, side: RedisSide, cluster: BenchCluster): BenchContext {
  return side === 'cluster' ? { ...context, redisCluster: cluster.settings } : context
}

function rowFor (nearCache: NearCacheMode, rows: ThroughputRow[]): ClusterComparisonRow {
  const find = (side: RedisSide): ThroughputRow => {
    const row = rows.find((row) => row.id === `${side}-${nearCache}`)
    if (row === undefined) throw new Error(`no measurement of /auth/me, ${side}, near-cache ${nearCache}`)
    return row
  }
  const single = find('single')
  const cluster = find('cluster')
  const roundRatios = cluster.roundsRps.map((rps, round) => rps / (single.roundsRps[round] ?? Number.NaN))
  return { nearCache, single, cluster, roundRatios, ratio: median(roundRatios), cpuRatio: cluster.serverCpuMicros / single.serverCpuMicros }
}

async function measureThroughput (
  context: BenchContext, singleRedis: Redis, cluster: BenchCluster, settings: BenchSettings
): Promise<ClusterComparisonRow[]> {
  const servers: RunningServer[] = []
  try {
    const targets: Target[] = []
    context.progress(`cluster: starting our servers on one Redis and on the cluster (${cluster.description}), logging in ${context.connections} sessions each`)
    for (const side of SIDES) {
      for (const nearCache of NEAR_CACHE_MODES) {
        const server = await startOurServer(contextFor(context, side, cluster), `ours-${side}-${nearCache}`, { strategy: 'sliding', nearCache, keyPrefix: keyPrefixFor('sliding', nearCache, purposeFor(side)) })
        servers.push(server)
        // A shared database may not hold the accounts yet (this phase run alone); 409 is fine.
        if (servers.length === 1) await registerAccounts(server.url, context.accounts)
        targets.push({
          id: `${side}-${nearCache}`,
          label: `/auth/me, ${side === 'single' ? 'one Redis' : 'Redis Cluster'}, near-cache ${nearCache}`,
          url: `${server.url}/auth/me`,
          pid: server.pid,
          sessions: await logInOurSessions(context, server),
          redis: side === 'single' ? singleRedis : cluster.masters
        })
      }
    }
    const measurements = await measureInterleaved(targets, settings, singleRedis, (line) => context.progress(`cluster: ${line}`), settings.clusterRounds)
    const rows = summariseThroughput(measurements)
    return NEAR_CACHE_MODES.map((nearCache) => rowFor(nearCache, rows))
  } finally {
    await Promise.all(servers.map(async (server) => await server.stop()))
  }
}

// A logout on one instance and how soon a second refuses the token, near-cache on, on one Redis
// and on the cluster.
export async function measureClusterRevocation (context: BenchContext, cluster: BenchCluster, settings: BenchSettings): Promise<ClusterRevocationRow[]> {
  const revocation: ClusterRevocationRow[] = []
  for (const side of SIDES) {
    context.progress(`cluster: revocation across two instances, ${side}, ${settings.clusterRevocationTrials} trials`)
    const row = await measureRevocationBetweenInstances(contextFor(context, side, cluster), 'on', settings.clusterRevocationTrials, `${purposeFor(side)}-revocation`)
    revocation.push({ side, ...row })
  }
  return revocation
}

export async function measureClusterComparison (
  context: BenchContext, singleRedis: Redis, cluster: BenchCluster, settings: BenchSettings
): Promise<ClusterComparison> {
  const rows = await measureThroughput(context, singleRedis, cluster, settings)
  const revocation = await measureClusterRevocation(context, cluster, settings)
  return { cluster: cluster.description, rounds: settings.clusterRounds, rows, revocation }
}
