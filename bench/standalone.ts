import { cpus, loadavg } from 'node:os'
import { performance } from 'node:perf_hooks'
import { cleanUp, installExitHandlers, wasInterrupted } from './cleanup.js'
import { openBenchDatabase } from './database.js'
import { fixed } from './markdown.js'
import { redisVersion, startBenchRedis, type BenchRedis } from './redis-stats.js'
import { readSettings, type BenchSettings } from './settings.js'
import { newBenchContext, type BenchContext } from './setup.js'

// One phase of `npm run bench` run alone (npm run bench:metrics, bench:cluster): the same
// BENCH_* settings, its own redis-server and database, and its figures printed rather than
// written into BENCHMARKS.md, under a line on the machine and its load.

export interface StandaloneBench {
  settings: BenchSettings
  redis: BenchRedis
  context: BenchContext
  // The machine, Node, Redis, the database, the load average before and now, the run lengths
  // and the time taken.
  describeRun: () => Promise<string>
}

async function openStandaloneBench (): Promise<StandaloneBench> {
  const started = performance.now()
  const settings = readSettings()
  const loadBefore = loadavg()[0] ?? Number.NaN
  const redis = await startBenchRedis()
  const database = await openBenchDatabase()
  const context = newBenchContext(redis.url, database, settings, (line) => console.log(line))
  const describeRun = async (): Promise<string> => [
    `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown'}; Node ${process.version}; Redis ${await redisVersion(redis.admin)}; users in ${database.description}`,
    `load average (1 min) before / after: ${fixed(loadBefore)} / ${fixed(loadavg()[0] ?? Number.NaN)}; ${settings.durationSeconds} s per run after ${settings.warmupSeconds} s warm-up; ${fixed((performance.now() - started) / 1000, 0)} s in all`
  ].join('\n')
  return { settings, redis, context, describeRun }
}

// Runs `phase`, prints what it returns, and stops everything the bench started.
export async function runStandalone (phase: (bench: StandaloneBench) => Promise<string>): Promise<void> {
  installExitHandlers()
  try {
    const bench = await openStandaloneBench()
    const report = await phase(bench)
    console.log(`\n${await bench.describeRun()}\n\n${report}`)
  } catch (error) {
    if (!wasInterrupted()) console.error(error)
    process.exitCode = 1
  } finally {
    await cleanUp()
  }
}
