import { sumCalls } from './redis-stats.js'
import { median } from './stats.js'
import type { TargetMeasurement } from './throughput.js'

// One row per measured target, in the shape the report, the chart and the console table read:
// every phase that measures throughput summarises its measurements here.

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

export const BARE_TARGET_ID = 'bare'
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
