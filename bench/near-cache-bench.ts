import { performance } from 'node:perf_hooks'
import { WARM_BROWSER_SESSIONS } from './browser-sessions.js'
import { fixed, integer, table } from './markdown.js'
import { referenceServer, startServer, type RunningServer } from './servers.js'
import { residentMiB } from './server-memory.js'
import { benchServiceKey, warmServiceSessions } from './service-sessions.js'
import { registerAccounts } from './sessions.js'
import { keyPrefixFor, logInOurSessions, startOurServer, type BenchContext } from './setup.js'
import { runStandalone } from './standalone.js'
import { median } from './stats.js'
import { measureInterleaved, type Target, type TargetMeasurement } from './throughput.js'
import { summariseThroughput, type ThroughputRow } from './throughput-rows.js'

// npm run bench:near-cache [sessions]: issue 28's "the check must cost the same with 2 000 or
// 100 000 live sessions in the near-cache". Two instances of our server (sliding, near-cache on,
// METRICS=on for the cache's size), one filled with 2 000 sessions and one with `sessions`
// (100 000 by default, NEAR_CACHE_MAX_ENTRIES' default, so that cache is at its cap), both the
// same way (bench/service-sessions.ts); then the load generator's sessions log in on each, and the
// bare route and each instance's GET /auth/me (near-cache hits) are loaded in interleaved rounds.
// The same BENCH_* settings apply.

const SMALL_SESSIONS = WARM_BROWSER_SESSIONS
const DEFAULT_LARGE_SESSIONS = 100_000
const BYTES_PER_MIB = 1024 * 1024
const MS_PER_SECOND = 1000

function largeSessionsArgument (): number {
  const raw = process.argv[2]
  if (raw === undefined) return DEFAULT_LARGE_SESSIONS
  const sessions = Number(raw)
  if (!Number.isInteger(sessions) || sessions <= SMALL_SESSIONS) throw new Error(`sessions must be an integer above ${SMALL_SESSIONS}, got "${raw}"`)
  return sessions
}

interface ServerReading {
  entries: number
  evictions: number
  maxEntries: number
  // Node's own figures (prom-client's defaults): the heap in use, and the main thread's time in
  // garbage collection since start, every kind summed. A larger heap makes each major GC longer.
  heapUsedBytes: number
  gcSeconds: number
}

const NUMBER = '([0-9.e+-]+)'

// The server's own figures from /metrics: the cache's size now, the entries it dropped to stay
// within its cap, the cap (NEAR_CACHE_MAX_ENTRIES), its heap and its GC time.
async function readServer (serverUrl: string): Promise<ServerReading> {
  const response = await fetch(`${serverUrl}/metrics`)
  const text = await response.text()
  const samples = (name: string): number[] => [...text.matchAll(new RegExp(`^\\w*${name}(?:\\{[^}]*\\})? ${NUMBER}$`, 'gm'))].map((match) => Number(match[1]))
  const sample = (name: string): number => {
    const [value] = samples(name)
    if (value === undefined) throw new Error(`${serverUrl}/metrics has no ${name} (${response.status})`)
    return value
  }
  return {
    entries: sample('near_cache_entries'),
    evictions: sample('near_cache_evictions_total'),
    maxEntries: sample('near_cache_max_entries'),
    heapUsedBytes: sample('nodejs_heap_size_used_bytes'),
    gcSeconds: samples('nodejs_gc_duration_seconds_sum').reduce((sum, seconds) => sum + seconds, 0)
  }
}

interface FilledInstance {
  sessions: number
  server: RunningServer
  target: Target
  fillSeconds: number
}

async function startFilledInstance (context: BenchContext, sessions: number): Promise<FilledInstance> {
  const { key, serviceKeys } = benchServiceKey()
  const name = `ours-${sessions}`
  const server = await startOurServer(context, name, { strategy: 'sliding', nearCache: 'on', keyPrefix: keyPrefixFor('sliding', 'on', name), metrics: 'on', serviceKeys })
  // Accounts that exist already (registered by another instance on a shared database) are fine.
  await registerAccounts(server.url, context.accounts)
  context.progress(`${name}: ${integer(sessions)} sessions start through /service/sessions and are used once`)
  const started = performance.now()
  await warmServiceSessions(server.url, key, sessions)
  const fillSeconds = (performance.now() - started) / 1000
  context.progress(`${name}: filled in ${fixed(fillSeconds, 1)} s (${integer(sessions / fillSeconds)} sessions/s); the load generator's sessions log in`)
  const target = { id: name, label: `our /auth/me, after ${integer(sessions)} sessions`, url: `${server.url}/auth/me`, pid: server.pid, sessions: await logInOurSessions(context, server) }
  return { sessions, server, target, fillSeconds }
}

interface InstanceReadings {
  instance: FilledInstance
  before: ServerReading
  residentBeforeMiB: number
}

interface InstanceFigures extends InstanceReadings {
  row: ThroughputRow
  measurement: TargetMeasurement
  after: ServerReading
  residentAfterMiB: number
}

async function readInstance (instance: FilledInstance): Promise<InstanceReadings> {
  return { instance, before: await readServer(instance.server.url), residentBeforeMiB: residentMiB(instance.server.pid) }
}

function rowOf (rows: ThroughputRow[], id: string): ThroughputRow {
  const row = rows.find((candidate) => candidate.id === id)
  if (row === undefined) throw new Error(`no figures for ${id}`)
  return row
}

function measurementOf (measurements: TargetMeasurement[], id: string): TargetMeasurement {
  const measurement = measurements.find((candidate) => candidate.target.id === id)
  if (measurement === undefined) throw new Error(`no measurement of ${id}`)
  return measurement
}

function figuresRow ({ instance, row, before, after, residentBeforeMiB, residentAfterMiB }: InstanceFigures): string[] {
  return [
    row.label, integer(instance.sessions), `${integer(before.entries)} / ${integer(after.entries)}`, integer(after.evictions - before.evictions),
    integer(row.medianRps), fixed(row.ratioToBare), integer(row.serverCpuMicros), fixed(row.commandsPerRequest),
    `${fixed(residentBeforeMiB, 0)} / ${fixed(residentAfterMiB, 0)}`, fixed(after.heapUsedBytes / BYTES_PER_MIB, 0), integer((after.gcSeconds - before.gcSeconds) * MS_PER_SECOND),
    row.roundsRps.map(integer).join(' / ')
  ]
}

// Large ÷ small, req/s round by round (both saw the same minutes of the machine), and the rest
// over all rounds.
function ratioRow (large: InstanceFigures, small: InstanceFigures): string[] {
  const rounds = large.measurement.runs.map((run, round) => run.requestsPerSecond / (small.measurement.runs[round]?.requestsPerSecond ?? Number.NaN))
  return [
    `ratio ${integer(large.instance.sessions)} ÷ ${integer(small.instance.sessions)}`, fixed(large.instance.sessions / small.instance.sessions, 1),
    fixed(large.after.entries / small.after.entries, 1), '', `**${fixed(median(rounds))}**`, '', `**${fixed(large.row.serverCpuMicros / small.row.serverCpuMicros)}**`, '',
    fixed(large.residentAfterMiB / small.residentAfterMiB), fixed(large.after.heapUsedBytes / small.after.heapUsedBytes),
    fixed((large.after.gcSeconds - large.before.gcSeconds) / (small.after.gcSeconds - small.before.gcSeconds)), rounds.map((ratio) => fixed(ratio)).join(' / ')
  ]
}

await runStandalone(async ({ settings, redis, context }) => {
  const largeSessions = largeSessionsArgument()
  // One after the other: the first one migrates the database.
  const small = await startFilledInstance(context, SMALL_SESSIONS)
  const large = await startFilledInstance(context, largeSessions)
  const bare = await startServer({ name: 'bare-fastify', script: referenceServer('bare-fastify'), env: { REDIS_URL: context.redisUrl, JWT_SECRET: context.jwtSecret } })
  const readings = await Promise.all([small, large].map(readInstance))
  const bareTarget: Target = { id: 'bare', label: 'bare Fastify route, no auth', url: `${bare.url}/auth/me`, pid: bare.pid }
  const measurements = await measureInterleaved([bareTarget, small.target, large.target], settings, redis.admin, context.progress)
  const rows = summariseThroughput(measurements)
  const [smallFigures, largeFigures] = await Promise.all(readings.map(async (reading): Promise<InstanceFigures> => ({
    ...reading,
    row: rowOf(rows, reading.instance.target.id),
    measurement: measurementOf(measurements, reading.instance.target.id),
    after: await readServer(reading.instance.server.url),
    residentAfterMiB: residentMiB(reading.instance.server.pid)
  })))
  if (smallFigures === undefined || largeFigures === undefined) throw new Error('an instance was not measured')
  const bareRow = rowOf(rows, 'bare')
  return [
    table(['target', 'sessions started', 'near-cache entries before / after rounds', 'evictions during rounds', 'req/s (median)', '× bare', 'server CPU µs / req', 'Redis cmds / req', 'RSS MiB before / after rounds', 'heap used MiB after rounds', 'GC ms during rounds', 'req/s per round'], [
      [bareRow.label, '', '', '', integer(bareRow.medianRps), fixed(bareRow.ratioToBare), integer(bareRow.serverCpuMicros), fixed(bareRow.commandsPerRequest), fixed(residentMiB(bare.pid), 0), '', '', bareRow.roundsRps.map(integer).join(' / ')],
      figuresRow(smallFigures),
      figuresRow(largeFigures),
      ratioRow(largeFigures, smallFigures)
    ]),
    '',
    `NEAR_CACHE_MAX_ENTRIES: ${integer(largeFigures.after.maxEntries)}; evictions since start: ${integer(smallFigures.after.evictions)} (${integer(smallFigures.instance.sessions)} sessions), ${integer(largeFigures.after.evictions)} (${integer(largeFigures.instance.sessions)} sessions)`,
    `filled in ${fixed(smallFigures.instance.fillSeconds, 1)} s and ${fixed(largeFigures.instance.fillSeconds, 1)} s; each instance also holds the load generator's ${integer(context.connections)} sessions`
  ].join('\n')
})
