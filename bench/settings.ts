// What a run measures and for how long, from BENCH_* variables. The defaults keep a full run
// under about ten minutes on a 2-core machine; BENCH_QUICK=1 is a one-minute smoke run that
// checks every part works, not a measurement to quote.

export interface BenchSettings {
  quick: boolean
  // Seconds of measured load per run, after `warmupSeconds` of unmeasured load.
  durationSeconds: number
  warmupSeconds: number
  rounds: number
  // Rounds of the 10³ vs 10⁶ sessions comparison, whose two sides differ by a few percent at most.
  sessionCountRounds: number
  // Rounds of the METRICS=on vs off comparison, whose two sides differ by a few percent at most.
  metricsRounds: number
  // Rounds of the Redis Cluster vs one Redis comparison, and its revocation trials per pair.
  clusterRounds: number
  clusterRevocationTrials: number
  // Autocannon connections, each with its own session.
  connections: number
  // Sessions created through the real store to measure memory per session: issue 28's 2,000,
  // where the key dictionaries' buckets are a larger share than at 10⁴.
  memorySessions: number
  // The two session counts the auth route is compared at.
  smallSessionCount: number
  largeSessionCount: number
  fillBatchSize: number
  loginSeconds: number
  revocationTrials: number
}

function positiveNumber (name: string, fallback: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`)
  return value
}

export function readSettings (): BenchSettings {
  const quick = process.env.BENCH_QUICK === '1'
  return {
    quick,
    durationSeconds: positiveNumber('BENCH_DURATION', quick ? 1 : 5),
    warmupSeconds: quick ? 0.5 : 1.5,
    rounds: Math.round(positiveNumber('BENCH_ROUNDS', quick ? 1 : 3)),
    sessionCountRounds: Math.round(positiveNumber('BENCH_SESSION_COUNT_ROUNDS', quick ? 1 : 6)),
    metricsRounds: Math.round(positiveNumber('BENCH_METRICS_ROUNDS', quick ? 1 : 6)),
    clusterRounds: Math.round(positiveNumber('BENCH_CLUSTER_ROUNDS', quick ? 1 : 3)),
    clusterRevocationTrials: quick ? 20 : 100,
    connections: Math.round(positiveNumber('BENCH_CONNECTIONS', quick ? 20 : 100)),
    memorySessions: 2_000,
    smallSessionCount: 1_000,
    largeSessionCount: quick ? 100_000 : 1_000_000,
    fillBatchSize: 1_000,
    loginSeconds: quick ? 2 : 5,
    revocationTrials: quick ? 30 : 200
  }
}
