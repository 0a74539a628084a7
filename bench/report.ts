import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { throughputChart } from './chart.js'
import type { ClusterComparison, ClusterRevocationRow } from './cluster-comparison.js'
import { fixed, integer, table } from './markdown.js'
import type { SessionMemory, SessionMemoryVariants } from './memory.js'
import type { MetricsCostResult } from './metrics-cost.js'
import { earlierTargets, issue28Targets, type BenchResults, type TargetCheck } from './results.js'
import { median } from './stats.js'
import type { RevocationLatency } from './revocation-latency.js'
import { BROWSER_USER_AGENT } from './session-records.js'

// BENCHMARKS.md: the script rewrites only what lies between the two markers, so the
// hand-written method and caveats around them survive every run.

const START_MARKER = '<!-- bench:results:start (written by npm run bench; edit outside these markers) -->'
const END_MARKER = '<!-- bench:results:end -->'
const ROOT = new URL('../../', import.meta.url)
export const REPORT_PATH = fileURLToPath(new URL('BENCHMARKS.md', ROOT))
export const CHART_PATH = fileURLToPath(new URL('docs/benchmark.svg', ROOT))
const CHART_LINK = 'docs/benchmark.svg'

function machine (results: BenchResults): string {
  return `${results.cpuCount} × ${results.cpuModel}`
}

export function throughputTable (results: BenchResults): string {
  return table(
    ['#', 'target', 'req/s (median)', '× bare', 'p50 ms', 'p99 ms', 'server CPU µs / req', 'Redis CPU µs / req', 'Redis cmds / req', 'command mix per request', 'req/s per round'],
    results.throughput.map((row, i) => [
      String(i + 1), row.label, integer(row.medianRps), fixed(row.ratioToBare), fixed(row.p50Ms, 0), fixed(row.p99Ms, 0),
      integer(row.serverCpuMicros), integer(row.redisCpuMicros),
      fixed(row.commandsPerRequest), row.commandMix === '' ? '–' : row.commandMix, row.roundsRps.map(integer).join(' / ')
    ])
  )
}

function metCell (check: TargetCheck): string {
  if (check.met === undefined) return 'not measured'
  return check.met ? 'met' : '**not met**'
}

// How busy the machine was while the figures were taken: every target shares its cores.
export function loadAverageLine (results: BenchResults): string {
  const samples = results.loadAverageSamples
  const during = samples.length === 0 ? '' : `, during ${fixed(median(samples))} (median of ${samples.length} samples, highest ${fixed(Math.max(...samples))})`
  return `Load average (1 min) of the machine (${results.cpuCount} cores): before ${fixed(results.loadAverageBefore)}${during}, after ${fixed(results.loadAverageAfter)}.`
}

export function targetsTable (results: BenchResults): string {
  return [
    loadAverageLine(results),
    '',
    table(['figure (issue 28)', 'issue\'s today', 'target', 'this run', 'met'], issue28Targets(results).map((check) =>
      [check.target, check.today ?? '–', check.required, check.measured, metCell(check)])),
    '',
    'Earlier issues\' targets that still hold:',
    '',
    table(['target', 'required', 'measured', 'met'], earlierTargets(results).map((check) =>
      [check.target, check.required, check.measured, metCell(check)]))
  ].join('\n')
}

// The memory figures of one run: browser and app sessions side by side; `filled`, the figure
// while filling Redis to many sessions, where the run measured it.
export function sessionMemoryTable ({ browser, app }: SessionMemoryVariants, filled?: { count: number, usedMemoryPerSession: number }): string {
  const row = (figure: string, value: (memory: SessionMemory) => number): string[] =>
    [figure, integer(value(browser)), integer(value(app))]
  return table(['figure (bytes per session)', 'browser', 'app with a device id'], [
    row('`used_memory` delta ÷ sessions (everything Redis spends, index included)', (memory) => memory.usedMemoryPerSession),
    row('`MEMORY USAGE` of the session hash', (memory) => memory.sessionKeyBytes),
    row('`MEMORY USAGE` of the user indexes ÷ sessions', (memory) => memory.indexBytesPerSession),
    row('`MEMORY USAGE`, hash + index share', (memory) => memory.sessionKeyBytes + memory.indexBytesPerSession),
    ...filled === undefined ? [] : [[`\`used_memory\` delta ÷ sessions while filling to ${integer(filled.count)}`, integer(filled.usedMemoryPerSession), '–']],
    ['encoding of the session hash / of the index', `${browser.sessionEncoding} / ${browser.indexEncoding}`, `${app.sessionEncoding} / ${app.indexEncoding}`],
    ['longest value in the session hash (bytes)', integer(browser.longestValueBytes), integer(app.longestValueBytes)],
    ['what the session list shows (`userAgent`)', `"${browser.deviceLabel}"`, `"${app.deviceLabel}"`]
  ])
}

function memorySection (results: BenchResults): string {
  const { browser } = results.memory
  return [
    `${integer(browser.sessions)} logins of each kind (2 per user) through \`loginSessionStart\` and \`SessionService.start\`, each followed by one request (which writes "last seen"), against a redis-server with the default configuration. A browser signs in through the web page with its ${BROWSER_USER_AGENT.length}-byte User-Agent header and no device id; an app sends a device id (a UUID) and its own User-Agent:`,
    '',
    sessionMemoryTable(results.memory, { count: results.sessionCounts.largeCount, usedMemoryPerSession: results.sessionCounts.usedMemoryPerFilledSession }),
    '',
    `Redis keeps a hash in the compact \`listpack\` encoding only while every value is at most \`hash-max-listpack-value\` (${browser.listpackValueLimit}) bytes, which is why a session stores a device label rather than the User-Agent header.`,
    '',
    'The other designs, from the sessions they held during the throughput runs (`MEMORY USAGE` of their keys; no index, no Redis bookkeeping; the bench\'s own sessions have no long user agent):',
    '',
    table(['design', 'keys', 'bytes per session'], results.libraryMemory.map((row) => [row.label, integer(row.keys), integer(row.bytesPerSession)]))
  ].join('\n')
}

function sessionCountSection (results: BenchResults): string {
  const counts = results.sessionCounts
  return [
    `Two Redis servers side by side, one holding ${integer(counts.smallCount)} and the other ${integer(counts.largeCount)} live sessions (fill time ${fixed(counts.fillSeconds, 1)} s, pipelined in batches), each with its own pair of our servers; the loaded sessions are ${results.settings.connections} of them per server. The four were measured in ${counts.rounds} interleaved rounds; the ratio is the median of the per-round ratios, with their range.`,
    '',
    table(
      ['target', `req/s at ${integer(counts.smallCount)}`, `req/s at ${integer(counts.largeCount)}`, 'ratio', 'server CPU µs / req', 'Redis CPU µs / req', 'Redis cmds / req'],
      counts.rows.map(({ nearCache, small, large, ratio, roundRatios }) => [
        `GET /auth/me, sliding, near-cache ${nearCache}`, integer(small.medianRps), integer(large.medianRps),
        `${fixed(ratio)} (${fixed(Math.min(...roundRatios))}–${fixed(Math.max(...roundRatios))})`,
        `${integer(small.serverCpuMicros)} → ${integer(large.serverCpuMicros)}`, `${integer(small.redisCpuMicros)} → ${integer(large.redisCpuMicros)}`,
        `${fixed(small.commandsPerRequest)} → ${fixed(large.commandsPerRequest)}`
      ]))
  ].join('\n')
}

export function metricsCostSection (cost: MetricsCostResult, connections: number): string {
  return [
    `Two of our servers, identical but for \`METRICS\` (sliding, near-cache on, ${connections} sessions each), loaded on \`GET /auth/me\` in ${cost.rounds} interleaved rounds; the ratio is the median of the per-round ratios, with their range. The METRICS=on server's own histogram counted ${integer(cost.countedRequests)} answers of \`GET /auth/me\` 200, warm-ups included; the METRICS=off server answered \`/metrics\` 404.`,
    '',
    table(['target', 'req/s (median)', 'p50 ms', 'p99 ms', 'server CPU µs / req', 'req/s per round'], [cost.off, cost.on].map((row) => [
      row.label, integer(row.medianRps), fixed(row.p50Ms, 0), fixed(row.p99Ms, 0), fixed(row.serverCpuMicros, 1), row.roundsRps.map(integer).join(' / ')
    ])),
    '',
    `METRICS=on ÷ METRICS=off: req/s ${fixed(cost.ratio, 3)} (rounds ${cost.roundRatios.map((ratio) => fixed(ratio, 3)).join(', ')}); server CPU per request ${fixed(cost.cpuRatio, 3)}.`
  ].join('\n')
}

function revocationTable (rows: Array<{ instances: string, result: RevocationLatency }>): string {
  return table(['instances', 'trials', 'p50 ms', 'p99 ms', 'max ms', '200s from B after the logout answer (trials affected)'],
    rows.map(({ instances, result }) => [
      instances, String(result.trials), fixed(result.p50Ms), fixed(result.p99Ms), fixed(result.maxMs),
      `${result.acceptedAfterLogout} (${result.trialsWithAcceptedRequests})`
    ]))
}

function revocationSection (results: BenchResults): string {
  return revocationTable(results.revocation.map(({ nearCache, result }) => ({ instances: `two, near-cache ${nearCache}`, result })))
}

export function clusterRevocationTable (revocation: ClusterRevocationRow[]): string {
  return revocationTable(revocation.map(({ side, nearCache, result }) =>
    ({ instances: `two on ${side === 'single' ? 'one Redis' : 'the cluster'}, near-cache ${nearCache}`, result })))
}

export function clusterSection (comparison: ClusterComparison, connections: number): string {
  const { rows, revocation } = comparison
  return [
    `Our \`GET /auth/me\` (sliding, ${connections} sessions per server) on one Redis and on a Redis Cluster (${comparison.cluster}), near-cache on and off: four servers measured in ${comparison.rounds} interleaved rounds; each ratio is the median of the per-round ratios, cluster ÷ one Redis, with their range. Redis figures on the cluster are summed over its masters.`,
    '',
    table(['target', 'req/s (median)', 'p50 ms', 'p99 ms', 'server CPU µs / req', 'Redis CPU µs / req', 'Redis cmds / req', 'req/s per round'],
      rows.flatMap(({ single, cluster }) => [single, cluster]).map((row) => [
        row.label, integer(row.medianRps), fixed(row.p50Ms, 0), fixed(row.p99Ms, 0), integer(row.serverCpuMicros), integer(row.redisCpuMicros),
        fixed(row.commandsPerRequest), row.roundsRps.map(integer).join(' / ')
      ])),
    '',
    table(['cluster ÷ one Redis', 'req/s (median of rounds)', 'rounds', 'server CPU per request'], rows.map((row) => [
      `near-cache ${row.nearCache}`, fixed(row.ratio), row.roundRatios.map((ratio) => fixed(ratio)).join(', '), fixed(row.cpuRatio)
    ])),
    '',
    'A logout on instance A, and how soon instance B on the same Redis refuses the token:',
    '',
    clusterRevocationTable(revocation)
  ].join('\n')
}

function loginSection (results: BenchResults): string {
  const { logins, argon2, hashConcurrency, roundRatios, ratio, cpuRatio } = results.loginRatio
  const first = logins[0]
  return [
    `\`POST /auth/login\` on our server (${first?.connections ?? 0} connections, each login one of ${first?.accounts ?? 0} accounts in turn, ${first?.argon2 ?? ''}), and argon2id verifications with the same parameters, ${hashConcurrency} at once (the server's hash concurrency limit) in a child process started as \`npm start\` starts the server, in ${logins.length} interleaved rounds of ${fixed(results.settings.loginSeconds, 0)} s each. CPU time is the process's, every thread included, and of it the main thread's (what a login costs beyond its hash, which runs in libuv's pool).`,
    '',
    table(['round', 'logins/s', 'p50 / p99 ms', 'failed', 'server CPU ms per login', 'main thread', 'argon2 verifications/s', 'CPU ms per verification', 'logins ÷ verifications'], logins.map((login, round) => {
      const rate = argon2[round]
      return [
        String(round + 1), fixed(login.requestsPerSecond, 1), `${fixed(login.p50Ms, 0)} / ${fixed(login.p99Ms, 0)}`, String(login.non2xx + login.errors),
        fixed(login.cpuMillisPerLogin, 1), fixed(login.mainThreadMillisPerLogin, 2), fixed(rate?.verificationsPerSecond ?? Number.NaN, 1), fixed(rate?.cpuMillisPerVerification ?? Number.NaN, 1), fixed(roundRatios[round] ?? Number.NaN)
      ]
    })),
    '',
    `Logins ÷ verifications: ${fixed(ratio)} (median of the rounds); in CPU time (per verification ÷ per login, over all rounds): ${fixed(cpuRatio)}.`
  ].join('\n')
}

function serverMemorySection (results: BenchResults): string {
  const memory = results.serverMemory
  return [
    `VmRSS of our server process (MB = MiB, \`/proc/<pid>/status\`): ${memory.idleSeconds} s after it first answers, before any request; then the peak, sampled every 100 ms, during ${fixed(memory.authLoadSeconds, 0)} s of \`GET /auth/me\` (${memory.authConnections} connections) and the ${fixed(memory.loginLoadSeconds, 0)} s of logins that follow (${memory.loginConnections} connections); then ${memory.idleSeconds} s after the logins ended ("after load").`,
    '',
    table(['users in', 'idle', 'peak, /auth/me load', 'peak, logins', 'after load', 'failed requests'], memory.rows.map((row) => [
      row.label, integer(row.idleMiB), integer(row.authLoadPeakMiB), integer(row.loginLoadPeakMiB), integer(row.afterLoadMiB), String(row.failures)
    ]))
  ].join('\n')
}

export function resultsSection (results: BenchResults): string {
  const { settings } = results
  const total = results.phases.reduce((sum, phase) => sum + phase.seconds, 0)
  return [
    START_MARKER,
    '## Results of the last run',
    '',
    `- command: \`${results.command}\`, ${results.date}`,
    `- machine: ${machine(results)}; Node ${results.node}; Redis ${results.redis}; users in ${results.database}`,
    `- load average (1 min) before / after: ${fixed(results.loadAverageBefore)} / ${fixed(results.loadAverageAfter)}`,
    `- ${settings.rounds} interleaved rounds × ${settings.durationSeconds} s per target (after ${settings.warmupSeconds} s warm-up), ${settings.connections} connections, each with its own session${settings.quick ? ' — **BENCH_QUICK smoke run, not a measurement**' : ''}`,
    ...results.warnings.map((warning) => `- **warning:** ${warning}`),
    '',
    '### Targets',
    '',
    targetsTable(results),
    '',
    '### Throughput',
    '',
    `![median req/s per target](${CHART_LINK})`,
    '',
    throughputTable(results),
    '',
    '### Redis memory per session',
    '',
    memorySection(results),
    '',
    `### ${integer(results.sessionCounts.smallCount)} vs ${integer(results.sessionCounts.largeCount)} live sessions`,
    '',
    sessionCountSection(results),
    '',
    '### METRICS=on vs off',
    '',
    metricsCostSection(results.metricsCost, settings.connections),
    '',
    '### Login throughput',
    '',
    loginSection(results),
    '',
    '### Server memory',
    '',
    serverMemorySection(results),
    '',
    '### Revocation seen by a second instance',
    '',
    revocationSection(results),
    '',
    '### Redis Cluster beside one Redis',
    '',
    clusterSection(results.cluster, settings.connections),
    '',
    '### Where the run time went',
    '',
    table(['phase', 'seconds'], [...results.phases.map((phase) => [phase.name, fixed(phase.seconds, 0)]), ['total', fixed(total, 0)]]),
    END_MARKER
  ].join('\n')
}

const NEW_REPORT_HEADER = '# Benchmarks\n\nWritten by `npm run bench`; see docs/benchmark.md for what it measures.\n\n'

export function writeReport (results: BenchResults): void {
  const section = resultsSection(results)
  const existing = existsSync(REPORT_PATH) ? readFileSync(REPORT_PATH, 'utf8') : NEW_REPORT_HEADER
  const start = existing.indexOf('<!-- bench:results:start')
  const end = existing.indexOf(END_MARKER)
  const updated = start >= 0 && end > start
    ? existing.slice(0, start) + section + existing.slice(end + END_MARKER.length)
    : `${existing.trimEnd()}\n\n${section}\n`
  writeFileSync(REPORT_PATH, updated)
  mkdirSync(dirname(CHART_PATH), { recursive: true })
  const subtitle = `${results.date.slice(0, 10)}, ${machine(results)}, ${results.settings.connections} connections, median of ${results.settings.rounds} rounds`
  writeFileSync(CHART_PATH, throughputChart(results.throughput, subtitle))
}
