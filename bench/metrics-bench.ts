import { randomBytes } from 'node:crypto'
import { cpus, loadavg } from 'node:os'
import { cleanUp, installExitHandlers, wasInterrupted } from './cleanup.js'
import { openBenchDatabase } from './database.js'
import { fixed } from './markdown.js'
import { measureMetricsCost } from './metrics-cost.js'
import { redisVersion, startBenchRedis } from './redis-stats.js'
import { metricsCostSection } from './report.js'
import { metricsCostCheck } from './results.js'
import { benchAccounts } from './sessions.js'
import { readSettings } from './settings.js'

// npm run bench:metrics: the METRICS=on vs off comparison of `npm run bench` alone, printed
// rather than written into BENCHMARKS.md. The same BENCH_* settings apply.

const SESSIONS_PER_ACCOUNT = 2

async function main (): Promise<void> {
  installExitHandlers()
  const settings = readSettings()
  const loadBefore = loadavg()[0] ?? Number.NaN
  const redis = await startBenchRedis()
  const database = await openBenchDatabase()
  const cost = await measureMetricsCost({
    redisUrl: redis.url,
    jwtSecret: randomBytes(48).toString('base64'),
    database,
    accounts: benchAccounts(Math.ceil(settings.connections / SESSIONS_PER_ACCOUNT)),
    connections: settings.connections,
    progress: (line) => console.log(line)
  }, redis.admin, settings)
  const check = metricsCostCheck(cost)
  console.log([
    '',
    `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown'}; Node ${process.version}; Redis ${await redisVersion(redis.admin)}; users in ${database.description}`,
    `load average (1 min) before / after: ${fixed(loadBefore)} / ${fixed(loadavg()[0] ?? Number.NaN)}; ${settings.durationSeconds} s per run after ${settings.warmupSeconds} s warm-up`,
    '',
    metricsCostSection(cost, settings.connections),
    '',
    `${check.target}: required ${check.required}, measured ${check.measured}: ${check.met ? 'met' : 'NOT MET'}`
  ].join('\n'))
}

try {
  await main()
} catch (error) {
  if (!wasInterrupted()) console.error(error)
  process.exitCode = 1
} finally {
  await cleanUp()
}
