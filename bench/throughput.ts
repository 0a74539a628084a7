import type { Redis } from 'ioredis'
import { setTimeout as sleep } from 'node:timers/promises'
import { processCpuSeconds, redisCpuSeconds } from './cpu.js'
import { runLoad, type LoadResult } from './load.js'
import { addCallsSince, commandCalls, type CommandCalls, type RedisNodes } from './redis-stats.js'
import type { ConnectionHeaders } from './sessions.js'
import type { BenchSettings } from './settings.js'

// Interleaved rounds: every target once per round, one at a time, so a slow minute of the
// machine (another process, a thermal limit) lands on all targets instead of on one.

export interface Target {
  id: string
  label: string
  url: string
  // Per-connection credentials; none for an unauthenticated target.
  sessions?: ConnectionHeaders[]
  // The server process, whose CPU time is measured.
  pid: number
  // The Redis it uses (every master of a cluster), when not the one the measurement is given:
  // its commands and CPU are counted.
  redis?: RedisNodes
}

export interface TargetMeasurement {
  target: Target
  runs: LoadResult[]
  // Redis commands while the measured runs ran, and the requests they served.
  calls: CommandCalls
  measuredRequests: number
  serverCpuSeconds: number
  redisCpuSeconds: number
}

// Requests still in flight when autocannon stops finish within this; their commands count.
const SETTLE_MS = 100

export async function measureOnce (
  target: Target, settings: BenchSettings, defaultRedis: Redis, into: TargetMeasurement
): Promise<LoadResult> {
  const redis = target.redis ?? defaultRedis
  const spec = { url: target.url, connections: settings.connections, headersPerConnection: target.sessions }
  await runLoad({ ...spec, durationSeconds: settings.warmupSeconds })
  const before = await commandCalls(redis)
  const serverCpuBefore = processCpuSeconds(target.pid)
  const redisCpuBefore = await redisCpuSeconds(redis)
  const result = await runLoad({ ...spec, durationSeconds: settings.durationSeconds })
  await sleep(SETTLE_MS)
  into.serverCpuSeconds += processCpuSeconds(target.pid) - serverCpuBefore
  into.redisCpuSeconds += await redisCpuSeconds(redis) - redisCpuBefore
  addCallsSince(into.calls, before, await commandCalls(redis))
  into.runs.push(result)
  into.measuredRequests += result.requests
  return result
}

export function emptyMeasurement (target: Target): TargetMeasurement {
  return { target, runs: [], calls: new Map(), measuredRequests: 0, serverCpuSeconds: 0, redisCpuSeconds: 0 }
}

export async function measureInterleaved (
  targets: Target[], settings: BenchSettings, redis: Redis, progress: (line: string) => void, rounds = settings.rounds
): Promise<TargetMeasurement[]> {
  const measurements = targets.map(emptyMeasurement)
  for (let round = 0; round < rounds; round++) {
    // Each round starts one target later, so no target always runs first or last.
    for (let step = 0; step < measurements.length; step++) {
      const measurement = measurements[(round + step) % measurements.length]
      if (measurement === undefined) continue
      const result = await measureOnce(measurement.target, settings, redis, measurement)
      progress(`round ${round + 1}/${rounds}  ${measurement.target.label.padEnd(44)} ${Math.round(result.requestsPerSecond).toString().padStart(7)} req/s  p99 ${result.p99Ms} ms` +
        (result.non2xx + result.errors > 0 ? `  (${result.non2xx} non-2xx, ${result.errors} errors)` : ''))
    }
  }
  return measurements
}
