import type { ClusterComparison } from './cluster-comparison.js'
import type { LoginThroughput } from './login-throughput.js'
import type { LibraryMemory, SessionMemoryVariants } from './memory.js'
import type { MetricsCostResult } from './metrics-cost.js'
import type { RevocationRow } from './revocation-pair.js'
import type { ServerMemoryResult } from './server-memory.js'
import type { SessionCountResult } from './session-counts.js'
import type { BenchSettings } from './settings.js'
import { BARE_TARGET_ID, type ThroughputRow } from './throughput-rows.js'

// Everything one run found, and the issues' targets checked against it. The phases' results
// flow in here, never back: a phase imports its row types from throughput-rows.ts.

export interface BenchResults {
  command: string
  date: string
  node: string
  redis: string
  cpuCount: number
  cpuModel: string
  loadAverageBefore: number
  loadAverageAfter: number
  database: string
  settings: BenchSettings
  throughput: ThroughputRow[]
  memory: SessionMemoryVariants
  libraryMemory: LibraryMemory[]
  sessionCounts: SessionCountResult
  metricsCost: MetricsCostResult
  login: LoginThroughput
  revocation: RevocationRow[]
  cluster: ClusterComparison
  serverMemory: ServerMemoryResult
  // Seconds per phase, in the order they ran: what the run time went into.
  phases: Array<{ name: string, seconds: number }>
  warnings: string[]
}

// The same bare route with our fixed response headers: the cost of our plugin stack is the rest.
export const BARE_HEADERS_TARGET_ID = 'bare-headers'
// METRICS=on may cost /auth/me at most 3% of its req/s.
export const METRICS_COST_MIN_RATIO = 0.97
// With Redis' default configuration, the user's index included.
const MEMORY_PER_SESSION_TARGET_BYTES = 400
// The limits for the default set-up, in MB as VmRSS ÷ 1024.
const SERVER_IDLE_RSS_LIMIT_MIB = 150
const SERVER_LOAD_RSS_LIMIT_MIB = 200

export interface TargetCheck {
  target: string
  required: string
  measured: string
  met: boolean
}

function rpsOf (results: BenchResults, id: string): number {
  return results.throughput.find((row) => row.id === id)?.medianRps ?? Number.NaN
}

function ratioCheck (results: BenchResults, target: string, id: string, over: string, minimum: number): TargetCheck {
  const ratio = rpsOf(results, id) / rpsOf(results, over)
  return { target, required: `≥ ${minimum}×`, measured: `${ratio.toFixed(2)}×`, met: ratio >= minimum }
}

// How far apart the rounds of one target were: (max − min) ÷ median, so a ratio of two targets
// is steadier than the noise when its distance from 1 exceeds their spreads.
function spreadOf (row: ThroughputRow): number {
  return (Math.max(...row.roundsRps) - Math.min(...row.roundsRps)) / row.medianRps
}

function sessionCountCheck (results: BenchResults): TargetCheck {
  const counts = results.sessionCounts
  const uncached = counts.rows.find((row) => row.nearCache === 'off')
  const ratio = uncached?.ratio ?? Number.NaN
  const spread = uncached === undefined
    ? ''
    : ` (median of ${counts.rounds} rounds, from ${Math.min(...uncached.roundRatios).toFixed(2)} to ${Math.max(...uncached.roundRatios).toFixed(2)}; req/s spread ${(spreadOf(uncached.small) * 100).toFixed(0)}% and ${(spreadOf(uncached.large) * 100).toFixed(0)}%)`
  return {
    target: `NEAR_CACHE=off: /auth/me at ${counts.largeCount.toLocaleString('en-US')} vs ${counts.smallCount.toLocaleString('en-US')} sessions`,
    required: '≥ 0.95×',
    measured: `${ratio.toFixed(2)}×${spread}`,
    met: ratio >= 0.95
  }
}

export function metricsCostCheck (cost: MetricsCostResult): TargetCheck {
  return {
    target: 'METRICS=on vs METRICS=off: /auth/me (near-cache hit)',
    required: `≥ ${METRICS_COST_MIN_RATIO}×`,
    measured: `${cost.ratio.toFixed(3)}× (median of ${cost.rounds} rounds, from ${Math.min(...cost.roundRatios).toFixed(3)} to ${Math.max(...cost.roundRatios).toFixed(3)}; server CPU per request ${cost.cpuRatio.toFixed(3)}×)`,
    met: cost.ratio >= METRICS_COST_MIN_RATIO
  }
}

// The issues' targets, each against the figure this run measured.
export function checkTargets (results: BenchResults): TargetCheck[] {
  const revocation = results.revocation.find((row) => row.nearCache === 'on')?.result
  const memory = results.memory.browser.usedMemoryPerSession
  const p99 = revocation?.p99Ms ?? Number.NaN
  const embedded = results.serverMemory.rows.find((row) => row.embedded)
  const idleMiB = embedded?.idleMiB ?? Number.NaN
  const loadMiB = embedded === undefined ? Number.NaN : Math.max(embedded.authLoadPeakMiB, embedded.loginLoadPeakMiB)
  return [
    ratioCheck(results, '/auth/me (near-cache hit) vs our /health', 'ours-on', 'ours-health', 0.95),
    ratioCheck(results, 'GET /auth/verify (near-cache hit) vs our /health', 'ours-verify', 'ours-health', 0.95),
    ratioCheck(results, 'our /health vs a bare route with the same headers', 'ours-health', BARE_HEADERS_TARGET_ID, 0.9),
    ratioCheck(results, '/auth/me vs the bare route without headers', 'ours-on', BARE_TARGET_ID, 0.8),
    ratioCheck(results, '/auth/me vs the naive design', 'ours-on', 'naive', 2),
    ratioCheck(results, '/auth/me vs @fastify/session + connect-redis', 'ours-on', 'fastify-session', 3.5),
    sessionCountCheck(results),
    metricsCostCheck(results.metricsCost),
    { target: 'revocation refused by a second instance, p99', required: '≤ 10 ms', measured: `${p99.toFixed(2)} ms`, met: p99 <= 10 },
    {
      target: 'Redis memory per browser session, index included (used_memory)',
      required: `≤ ${MEMORY_PER_SESSION_TARGET_BYTES} B`,
      measured: `${memory.toFixed(0)} B`,
      met: memory <= MEMORY_PER_SESSION_TARGET_BYTES
    },
    { target: `server RSS with the embedded database, idle ${results.serverMemory.idleSeconds} s after start`, required: `≤ ${SERVER_IDLE_RSS_LIMIT_MIB} MB`, measured: `${idleMiB.toFixed(0)} MB`, met: idleMiB <= SERVER_IDLE_RSS_LIMIT_MIB },
    { target: 'server RSS with the embedded database, peak under load', required: `≤ ${SERVER_LOAD_RSS_LIMIT_MIB} MB`, measured: `${loadMiB.toFixed(0)} MB`, met: loadMiB <= SERVER_LOAD_RSS_LIMIT_MIB }
  ]
}
