import type { ClusterComparison } from './cluster-comparison.js'
import type { LoginRatio } from './login-throughput.js'
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
  revocation: RevocationRow[]
  cluster: ClusterComparison
  serverMemory: ServerMemoryResult
  // Logins per second beside argon2 verifications per second on the same cores (issue 28, row 8).
  loginRatio: LoginRatio
  // Issue 28's rows 1-3: GET /auth/me, GET /auth/verify, our /health and the bare route, loaded
  // after this many browser sessions have logged in and each been used once. Measured by the
  // hot-path phase; absent until it is in the tree, and then those rows read "not measured".
  manySessions?: { sessions: number, throughput: ThroughputRow[] }
  // Issue 28's row 6: of a new session's first checks on one instance, how many miss the
  // near-cache. Measured by the hot-path phase; absent until then ("not measured").
  newSessionMisses?: number
  // The 1-minute load average, sampled through the run: how busy the machine was beside the figures.
  loadAverageSamples: number[]
  // Seconds per phase, in the order they ran: what the run time went into.
  phases: Array<{ name: string, seconds: number }>
  warnings: string[]
}

// The same bare route with our fixed response headers: the cost of our plugin stack is the rest.
export const BARE_HEADERS_TARGET_ID = 'bare-headers'
// METRICS=on may cost /auth/me at most 3% of its req/s.
export const METRICS_COST_MIN_RATIO = 0.97
// Issue 28's targets.
const ME_OVER_BARE_MIN = 0.85
const ME_OVER_HEALTH_MIN = 0.95
const VERIFY_OVER_BARE_MIN = 0.85
// With Redis' default configuration, the user's index included.
const MEMORY_PER_SESSION_TARGET_BYTES = 300
// The default set-up, in MB as VmRSS ÷ 1024.
const SERVER_IDLE_RSS_LIMIT_MIB = 120
const SERVER_AFTER_LOAD_RSS_LIMIT_MIB = 150
const NEW_SESSION_MISSES_TARGET = 1
// Below, not at: "< 10 ms".
const CLUSTER_REVOCATION_P99_LIMIT_MS = 10
const LOGIN_OVER_ARGON2_MIN = 0.9
// Earlier issues' targets that still hold.
const SINGLE_REDIS_REVOCATION_P99_LIMIT_MS = 10

export interface TargetCheck {
  target: string
  // What the issue gave as today's figure, where it did.
  today?: string
  required: string
  measured: string
  // Undefined: this run has no measurement of it.
  met?: boolean
}

const NOT_MEASURED = 'not measured'

function rpsOf (rows: ThroughputRow[], id: string): number {
  return rows.find((row) => row.id === id)?.medianRps ?? Number.NaN
}

function ratioCheck (results: BenchResults, target: string, id: string, over: string, minimum: number): TargetCheck {
  const ratio = rpsOf(results.throughput, id) / rpsOf(results.throughput, over)
  return { target, required: `≥ ${minimum}×`, measured: `${ratio.toFixed(2)}×`, met: ratio >= minimum }
}

// Rows 1-3 of issue 28: measured after 2 000 sessions by the hot-path phase; without it, the
// same ratio with only the loaded sessions is given for orientation, and the row is not checked.
function manySessionsCheck (results: BenchResults, target: string, today: string, id: string, over: string, minimum: number): TargetCheck {
  const required = `≥ ${minimum}×`
  const many = results.manySessions
  if (many === undefined) {
    const fewer = rpsOf(results.throughput, id) / rpsOf(results.throughput, over)
    return { target, today, required, measured: `${NOT_MEASURED} after 2,000 sessions (${fewer.toFixed(2)}× with ${results.settings.connections} sessions)` }
  }
  const ratio = rpsOf(many.throughput, id) / rpsOf(many.throughput, over)
  return { target, today, required, measured: `${ratio.toFixed(2)}× (after ${many.sessions.toLocaleString('en-US')} sessions)`, met: ratio >= minimum }
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

function serverMemoryCheck (results: BenchResults): TargetCheck {
  const embedded = results.serverMemory.rows.find((row) => row.embedded)
  const idle = embedded?.idleMiB ?? Number.NaN
  const afterLoad = embedded?.afterLoadMiB ?? Number.NaN
  const peak = embedded === undefined ? Number.NaN : Math.max(embedded.authLoadPeakMiB, embedded.loginLoadPeakMiB)
  return {
    target: 'default set-up (embedded database) RSS idle / after load',
    today: '156–160 / 164 MB',
    required: `≤ ${SERVER_IDLE_RSS_LIMIT_MIB} / ≤ ${SERVER_AFTER_LOAD_RSS_LIMIT_MIB} MB`,
    measured: `${idle.toFixed(0)} / ${afterLoad.toFixed(0)} MB (peak under load ${peak.toFixed(0)} MB)`,
    met: idle <= SERVER_IDLE_RSS_LIMIT_MIB && afterLoad <= SERVER_AFTER_LOAD_RSS_LIMIT_MIB
  }
}

function newSessionMissesCheck (results: BenchResults): TargetCheck {
  const misses = results.newSessionMisses
  const check = { target: 'checks of a new session that miss the near-cache', today: '2', required: `${NEW_SESSION_MISSES_TARGET}` }
  if (misses === undefined) return { ...check, measured: NOT_MEASURED }
  return { ...check, measured: String(misses), met: misses <= NEW_SESSION_MISSES_TARGET }
}

function clusterRevocationCheck (results: BenchResults): TargetCheck {
  const onCluster = results.cluster.revocation.find((row) => row.side === 'cluster' && row.nearCache === 'on')?.result
  const onOne = results.cluster.revocation.find((row) => row.side === 'single' && row.nearCache === 'on')?.result
  const p99 = onCluster?.p99Ms ?? Number.NaN
  return {
    target: 'revocation seen by another instance on a three-master Redis Cluster, p99',
    today: '22.4 ms (8.4 ms on one Redis)',
    required: `< ${CLUSTER_REVOCATION_P99_LIMIT_MS} ms`,
    measured: `${p99.toFixed(1)} ms (${(onOne?.p99Ms ?? Number.NaN).toFixed(1)} ms on one Redis; ${results.cluster.cluster})`,
    met: p99 < CLUSTER_REVOCATION_P99_LIMIT_MS
  }
}

function loginRatioCheck (results: BenchResults): TargetCheck {
  const login = results.loginRatio
  const rounds = login.roundRatios.map((ratio) => ratio.toFixed(2)).join(', ')
  return {
    target: 'login throughput (argon2 bound) ÷ argon2 hashes per second on the same cores',
    today: 'not measured',
    required: `reported, ≥ ${LOGIN_OVER_ARGON2_MIN}`,
    measured: `${login.ratio.toFixed(2)} (rounds ${rounds}; in CPU time ${login.cpuRatio.toFixed(2)}; ${login.hashConcurrency} hashes at once)`,
    met: login.ratio >= LOGIN_OVER_ARGON2_MIN
  }
}

// Issue 28's row; measured over settings.memorySessions (2,000) sessions, two per user.
export function memoryPerSessionCheck ({ browser }: SessionMemoryVariants): TargetCheck {
  return {
    target: 'Redis `used_memory` per browser session, index included, over 2 000 sessions after one request each',
    today: '465 B',
    required: `≤ ${MEMORY_PER_SESSION_TARGET_BYTES} B`,
    measured: `${browser.usedMemoryPerSession.toFixed(0)} B (over ${browser.sessions.toLocaleString('en-US')} sessions)`,
    met: browser.usedMemoryPerSession <= MEMORY_PER_SESSION_TARGET_BYTES
  }
}

// Issue 28's table, row by row in its wording, against this run's figures.
export function issue28Targets (results: BenchResults): TargetCheck[] {
  return [
    manySessionsCheck(results, 'cached `GET /auth/me` ÷ bare Fastify route, after 2 000 sessions have logged in and been used', '0.52–0.57 (0.65–0.72 with one session)', 'ours-on', BARE_TARGET_ID, ME_OVER_BARE_MIN),
    manySessionsCheck(results, 'cached `GET /auth/me` ÷ own `/health`, same condition', '0.75–0.77', 'ours-on', 'ours-health', ME_OVER_HEALTH_MIN),
    manySessionsCheck(results, '`GET /auth/verify` ÷ bare Fastify route, same condition', '0.56–0.65', 'ours-verify', BARE_TARGET_ID, VERIFY_OVER_BARE_MIN),
    memoryPerSessionCheck(results.memory),
    serverMemoryCheck(results),
    newSessionMissesCheck(results),
    clusterRevocationCheck(results),
    loginRatioCheck(results)
  ]
}

// The targets of earlier issues that issue 28 did not replace, against this run's figures.
export function earlierTargets (results: BenchResults): TargetCheck[] {
  const revocation = results.revocation.find((row) => row.nearCache === 'on')?.result
  const p99 = revocation?.p99Ms ?? Number.NaN
  return [
    ratioCheck(results, 'our /health vs a bare route with the same headers', 'ours-health', BARE_HEADERS_TARGET_ID, 0.9),
    ratioCheck(results, '/auth/me vs the naive design', 'ours-on', 'naive', 2),
    ratioCheck(results, '/auth/me vs @fastify/session + connect-redis', 'ours-on', 'fastify-session', 3.5),
    sessionCountCheck(results),
    metricsCostCheck(results.metricsCost),
    { target: 'revocation refused by a second instance (one Redis), p99', required: `≤ ${SINGLE_REDIS_REVOCATION_P99_LIMIT_MS} ms`, measured: `${p99.toFixed(2)} ms`, met: p99 <= SINGLE_REDIS_REVOCATION_P99_LIMIT_MS }
  ]
}

// Every target, issue 28's first.
export function checkTargets (results: BenchResults): TargetCheck[] {
  return [...issue28Targets(results), ...earlierTargets(results)]
}
