import type { Redis } from 'ioredis'
import type { RunningServer } from './servers.js'
import { registerAccounts } from './sessions.js'
import type { BenchSettings } from './settings.js'
import { logInOurSessions, startOurServer, type BenchContext } from './setup.js'
import { median } from './stats.js'
import { summariseThroughput, type ThroughputRow } from './throughput-rows.js'
import { measureInterleaved, type Target } from './throughput.js'

// What METRICS=on costs an authenticated request: two of our servers, identical but for
// METRICS, each with its own key prefix, loaded on GET /auth/me (near-cache hits) in
// interleaved rounds, so a slow minute of the machine lands on both; the ratio is read round by
// round. The METRICS=on server is scraped afterwards, so the figure is known to include counting.

export type MetricsMode = 'on' | 'off'

const MODES: MetricsMode[] = ['off', 'on']
const ME_COUNT_SERIES = /^auth_http_request_duration_seconds_count\{method="GET",route="\/auth\/me",status_code="200"\} (\d+)$/m

export interface MetricsCostResult {
  rounds: number
  off: ThroughputRow
  on: ThroughputRow
  // req/s with METRICS=on ÷ with METRICS=off, per interleaved round, and their median.
  roundRatios: number[]
  ratio: number
  // Server CPU per request, on ÷ off, over all measured runs: steadier than req/s on a busy machine.
  cpuRatio: number
  // What the METRICS=on server's own histogram counted for GET /auth/me 200.
  countedRequests: number
}

async function countedMeRequests (server: RunningServer): Promise<number> {
  const response = await fetch(`${server.url}/metrics`)
  const text = await response.text()
  if (response.status !== 200) throw new Error(`GET ${server.url}/metrics: ${response.status} ${text}`)
  return Number(ME_COUNT_SERIES.exec(text)?.[1] ?? Number.NaN)
}

async function assertNoMetrics (server: RunningServer): Promise<void> {
  const response = await fetch(`${server.url}/metrics`)
  await response.body?.cancel()
  if (response.status !== 404) throw new Error(`METRICS=off answered /metrics with ${response.status}`)
}

export async function measureMetricsCost (context: BenchContext, redis: Redis, settings: BenchSettings): Promise<MetricsCostResult> {
  const servers: Partial<Record<MetricsMode, RunningServer>> = {}
  try {
    const targets: Target[] = []
    for (const metrics of MODES) {
      const server = await startOurServer(context, `ours-metrics-${metrics}`, { strategy: 'sliding', nearCache: 'on', keyPrefix: `bench-metrics-${metrics}:`, metrics })
      servers[metrics] = server
      // A shared database may not hold the accounts yet (this comparison run alone); 409 is fine.
      await registerAccounts(server.url, context.accounts)
      targets.push({ id: `metrics-${metrics}`, label: `/auth/me, METRICS=${metrics}`, url: `${server.url}/auth/me`, pid: server.pid, sessions: await logInOurSessions(context, server) })
    }
    const measurements = await measureInterleaved(targets, settings, redis, (line) => context.progress(`metrics: ${line}`), settings.metricsRounds)
    const [off, on] = summariseThroughput(measurements)
    if (off === undefined || on === undefined || servers.on === undefined || servers.off === undefined) throw new Error('no measurement of METRICS on and off')
    await assertNoMetrics(servers.off)
    const roundRatios = on.roundsRps.map((rps, round) => rps / (off.roundsRps[round] ?? Number.NaN))
    return {
      rounds: settings.metricsRounds,
      off,
      on,
      roundRatios,
      ratio: median(roundRatios),
      cpuRatio: on.serverCpuMicros / off.serverCpuMicros,
      countedRequests: await countedMeRequests(servers.on)
    }
  } finally {
    await Promise.all(Object.values(servers).map(async (server) => await server.stop()))
  }
}
