import { cpus, loadavg } from 'node:os'
import { relative } from 'node:path'
import { performance } from 'node:perf_hooks'
import { cleanUp, installExitHandlers, wasInterrupted } from './cleanup.js'
import { measureClusterComparison } from './cluster-comparison.js'
import { openBenchDatabase } from './database.js'
import { measureLoginRatio } from './login-throughput.js'
import { measureSessionMemory, sessionRecordSizes } from './memory.js'
import { WARM_BROWSER_SESSIONS } from './browser-sessions.js'
import { measureManySessions } from './many-sessions.js'
import { measureMetricsCost } from './metrics-cost.js'
import { measureNewSessionMisses } from './new-session-misses.js'
import { CHART_PATH, REPORT_PATH, targetsTable, throughputTable, writeReport } from './report.js'
import { openBenchCluster } from './redis-cluster.js'
import { redisVersion, startBenchRedis } from './redis-stats.js'
import type { BenchResults } from './results.js'
import { measureRevocationBetweenInstances } from './revocation-pair.js'
import { measureServerMemory } from './server-memory.js'
import { measureSessionCounts } from './session-counts.js'
import { readSettings } from './settings.js'
import { keyPrefixFor, newBenchContext, startThroughputSetup } from './setup.js'
import { summariseThroughput } from './throughput-rows.js'
import { measureInterleaved } from './throughput.js'

// npm run bench: every server under test is a child process on loopback, loaded by
// autocannon in this process, one target at a time, against the bench's own redis-server.

const started = performance.now()
const elapsed = (): string => `[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s]`
const progress = (line: string): void => console.log(`${elapsed()} ${line}`)

const phases: BenchResults['phases'] = []
async function phase<T> (name: string, work: () => Promise<T>): Promise<T> {
  progress(`— ${name}`)
  const phaseStarted = performance.now()
  try {
    return await work()
  } finally {
    phases.push({ name, seconds: (performance.now() - phaseStarted) / 1000 })
  }
}

// The 1-minute load average moves slowly: a sample every 10 s follows it.
const LOAD_SAMPLE_INTERVAL_MS = 10_000

// Sessions, each checked this many times right after its login, whose near-cache misses are
// counted (issue 28, row 6).
const NEW_SESSIONS = 20
const CHECKS_PER_NEW_SESSION = 5

// If "near-cache on" still needs this many commands per request, the server ignored NEAR_CACHE.
const NEAR_CACHE_IGNORED_COMMANDS = 0.9

// As a reader would retype it: the BENCH_* settings, then the command.
function commandLine (): string {
  const settings = Object.entries(process.env).filter(([name]) => name.startsWith('BENCH_')).map(([name, value]) => `${name}=${value ?? ''}`)
  const command = process.env.npm_lifecycle_event === 'bench' ? 'npm run bench' : `node ${relative(process.cwd(), process.argv[1] ?? '')}`
  return [...settings, command].join(' ')
}

async function main (): Promise<void> {
  installExitHandlers()
  const settings = readSettings()
  const loadAverageBefore = loadavg()[0] ?? Number.NaN
  const loadAverageSamples: number[] = []
  const loadSampler = setInterval(() => { loadAverageSamples.push(loadavg()[0] ?? Number.NaN) }, LOAD_SAMPLE_INTERVAL_MS).unref()
  const warnings: string[] = []

  const { redis, database } = await phase('starting the bench redis-server and database', async () =>
    ({ redis: await startBenchRedis(), database: await openBenchDatabase() }))
  const context = newBenchContext(redis.url, database, settings, progress)

  const memory = await phase('memory per session', async () => await measureSessionMemory(redis.url, redis.admin, settings.memorySessions))

  const setup = await phase('starting servers, registering, logging in', async () => await startThroughputSetup(context))
  const measurements = await phase('throughput, interleaved rounds', async () =>
    await measureInterleaved(setup.targets, settings, redis.admin, progress))
  const throughput = summariseThroughput(measurements)

  const libraryMemory = await sessionRecordSizes(redis.admin, keyPrefixFor('sliding', 'on'))
  const manySessions = await phase(`after ${WARM_BROWSER_SESSIONS.toLocaleString('en-US')} browser sessions: /auth/me, /auth/verify, /health, the bare route`, async () =>
    await measureManySessions(context, settings, redis.admin, progress))
  const newSessionMisses = await phase('near-cache misses of new sessions', async () =>
    (await measureNewSessionMisses(context, NEW_SESSIONS, CHECKS_PER_NEW_SESSION)).missesPerSession)

  const loginRatio = await phase('login throughput beside argon2 alone', async () =>
    await measureLoginRatio(setup.ours.on, context.accounts, settings.loginSeconds, settings.rounds))
  for (const server of setup.servers.filter((server) => server !== setup.ours.on && server !== setup.ours.off)) await server.stop()
  const metricsCost = await phase('METRICS on vs off', async () => await measureMetricsCost(context, redis.admin, settings))
  const sessionCounts = await phase(`${settings.smallSessionCount.toLocaleString('en-US')} vs ${settings.largeSessionCount.toLocaleString('en-US')} sessions`, async () =>
    await measureSessionCounts(context, setup.ours, redis, settings))
  await Promise.all([setup.ours.on.stop(), setup.ours.off.stop()])

  const revocation = await phase('revocation across two instances', async () => [
    await measureRevocationBetweenInstances(context, 'on', settings.revocationTrials),
    await measureRevocationBetweenInstances(context, 'off', settings.revocationTrials)
  ])

  const cluster = await phase('Redis Cluster beside one Redis', async () =>
    await measureClusterComparison(context, redis.admin, await openBenchCluster(), settings))

  const serverMemory = await phase('server memory (RSS), embedded database and PostgreSQL', async () =>
    await measureServerMemory(context, settings))

  const on = throughput.find((row) => row.id === 'ours-on')
  if (on !== undefined && on.commandsPerRequest >= NEAR_CACHE_IGNORED_COMMANDS) {
    warnings.push(`near-cache on still used ${on.commandsPerRequest.toFixed(2)} Redis commands per request: this build of the server has no near-cache, or NEAR_CACHE was ignored`)
  }
  const clusterThroughput = cluster.rows.flatMap((row) => [row.single, row.cluster])
  for (const row of [...throughput, ...clusterThroughput].filter((row) => row.failures > 0)) {
    warnings.push(`${row.label}: ${row.failures} non-2xx answers or connection errors during measured runs`)
  }
  for (const row of serverMemory.rows.filter((row) => row.failures > 0)) {
    warnings.push(`server memory, ${row.label}: ${row.failures} non-2xx answers or connection errors under load`)
  }
  clearInterval(loadSampler)
  const cpu = cpus()
  const results: BenchResults = {
    command: commandLine(),
    date: new Date().toISOString(),
    node: process.version,
    redis: await redisVersion(redis.admin),
    cpuCount: cpu.length,
    cpuModel: cpu[0]?.model.trim() ?? 'unknown',
    loadAverageBefore,
    loadAverageAfter: loadavg()[0] ?? Number.NaN,
    database: database.description,
    settings,
    throughput,
    memory,
    libraryMemory,
    sessionCounts,
    metricsCost,
    loginRatio,
    manySessions,
    newSessionMisses,
    loadAverageSamples,
    revocation,
    cluster,
    serverMemory,
    phases,
    warnings
  }
  writeReport(results)
  console.log(`\n${throughputTable(results)}\n\n${targetsTable(results)}\n`)
  for (const warning of warnings) console.log(`warning: ${warning}`)
  console.log(`Full results: ${REPORT_PATH} (chart: ${CHART_PATH}), ${elapsed()}`)
}

try {
  await main()
} catch (error) {
  if (!wasInterrupted()) console.error(error)
  process.exitCode = 1
} finally {
  await cleanUp()
}
