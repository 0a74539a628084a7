import type { ClusterComparison } from './cluster-comparison.js'
import type { LoginThroughput } from './login-throughput.js'
import type { SessionMemoryVariants } from './memory.js'
import type { MetricsCostResult } from './metrics-cost.js'
import type { NearCacheMode } from './our-server.js'
import { sumCalls } from './redis-stats.js'
import type { RevocationLatency } from './revocation-latency.js'
import type { ServerMemoryResult } from './server-memory.js'
import type { BenchSettings } from './settings.js'
import { median } from './stats.js'
import type { TargetMeasurement } from './throughput.js'

// Everything one run found, in the shape the report and the console table read.

export interface ThroughputRow {
  id: string
  label: string
  medianRps: number
  ratioToBare: number
  p50Ms: number
  p99Ms: number
  roundsRps: number[]
  commandsPerRequest: number
  // CPU time per request of the server process and of Redis, over all measured runs.
  serverCpuMicros: number
  redisCpuMicros: number
  // The commands behind that figure, per request, most frequent first ("evalsha 1.00, ...").
  commandMix: string
  // Non-2xx answers and connection errors during measured runs; anything but 0 is a broken figure.
  failures: number
}

export interface LibraryMemory {
  label: string
  keys: number
  bytesPerSession: number
}

export interface SessionCountRow {
  nearCache: NearCacheMode
  small: ThroughputRow
  large: ThroughputRow
  // req/s at the large count ÷ at the small count, per interleaved round, and their median.
  roundRatios: number[]
  ratio: number
}

export interface SessionCountResult {
  smallCount: number
  largeCount: number
  fillSeconds: number
  usedMemoryPerFilledSession: number
  rounds: number
  rows: SessionCountRow[]
}

export interface RevocationRow {
  nearCache: NearCacheMode
  result: RevocationLatency
}

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

export const BARE_TARGET_ID = 'bare'
// The same bare route with our fixed response headers: the cost of our plugin stack is the rest.
export const BARE_HEADERS_TARGET_ID = 'bare-headers'
// METRICS=on may cost /auth/me at most 3% of its req/s.
export const METRICS_COST_MIN_RATIO = 0.97
// With Redis' default configuration, the user's index included.
const MEMORY_PER_SESSION_TARGET_BYTES = 400
// The limits for the default set-up, in MB as VmRSS ÷ 1024.
const SERVER_IDLE_RSS_LIMIT_MIB = 150
const SERVER_LOAD_RSS_LIMIT_MIB = 200
const MICROS_PER_SECOND = 1_000_000

function commandMix (measurement: TargetMeasurement): string {
  const requests = Math.max(1, measurement.measuredRequests)
  return [...measurement.calls]
    .map(([name, calls]) => ({ name, perRequest: calls / requests }))
    .filter(({ perRequest }) => perRequest >= 0.005)
    .sort((a, b) => b.perRequest - a.perRequest)
    .map(({ name, perRequest }) => `${name} ${perRequest.toFixed(2)}`)
    .join(', ')
}

export function summariseThroughput (measurements: TargetMeasurement[]): ThroughputRow[] {
  const medianOf = (measurement: TargetMeasurement): number => median(measurement.runs.map((run) => run.requestsPerSecond))
  const bare = measurements.find((measurement) => measurement.target.id === BARE_TARGET_ID)
  const bareRps = bare === undefined ? Number.NaN : medianOf(bare)
  return measurements.map((measurement) => ({
    id: measurement.target.id,
    label: measurement.target.label,
    medianRps: medianOf(measurement),
    ratioToBare: medianOf(measurement) / bareRps,
    p50Ms: median(measurement.runs.map((run) => run.p50Ms)),
    p99Ms: median(measurement.runs.map((run) => run.p99Ms)),
    roundsRps: measurement.runs.map((run) => run.requestsPerSecond),
    commandsPerRequest: sumCalls(measurement.calls) / Math.max(1, measurement.measuredRequests),
    serverCpuMicros: measurement.serverCpuSeconds * MICROS_PER_SECOND / Math.max(1, measurement.measuredRequests),
    redisCpuMicros: measurement.redisCpuSeconds * MICROS_PER_SECOND / Math.max(1, measurement.measuredRequests),
    commandMix: commandMix(measurement),
    failures: measurement.runs.reduce((sum, run) => sum + run.non2xx + run.errors, 0)
  }))
}

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
