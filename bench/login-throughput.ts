import { ARGON2_OPTIONS } from '../src/passwords/password-hasher.js'
import { defaultHashConcurrency } from '../src/passwords/hash-concurrency-limit.js'
import { measureArgon2Rate, type Argon2Rate } from './argon2-rate.js'
import { mainThreadCpuSeconds, processCpuSeconds } from './cpu.js'
import { runLoad, type LoadResult } from './load.js'
import { BENCH_PASSWORD } from './sessions.js'
import { median } from './stats.js'

// Logins per second: each one verifies an argon2id hash, which is meant to be slow, so this is
// bounded by the CPU. Beside it, the same cores' argon2 verifications per second with the same
// parameters and concurrency (argon2-rate.ts): their ratio is what a login costs beyond its hash.

export interface LoginThroughput extends LoadResult {
  connections: number
  // How many accounts the logins take in turn.
  accounts: number
  argon2: string
}

// One login run with the server's CPU time over it (every thread of the process, argon2's pool included).
export interface MeasuredLogins extends LoginThroughput {
  cpuMillisPerLogin: number
  // Of it, the main thread's: what a login costs beyond its hash (which runs in libuv's pool).
  mainThreadMillisPerLogin: number
}

export interface LoginRatio {
  // The server's hash concurrency limit (PASSWORD_HASH_CONCURRENCY's default), which the
  // argon2 measurement runs at too.
  hashConcurrency: number
  logins: MeasuredLogins[]
  argon2: Argon2Rate[]
  // Logins per second ÷ argon2 verifications per second, per interleaved round, and their median.
  roundRatios: number[]
  ratio: number
  // The same in CPU time, which another process on the machine moves much less: CPU per
  // verification ÷ CPU per login, over all rounds.
  cpuRatio: number
}

// Logins in flight per hash slot: while one login's hash runs, the next one's database and
// Redis work is done, so a slot never waits for a round trip; the server's queue (4 per slot)
// holds the rest.
export const LOGIN_CONNECTIONS_PER_HASH_SLOT = 2

export function argon2Description (): string {
  const { memoryCost, timeCost, parallelism } = ARGON2_OPTIONS
  return `argon2id, m=${memoryCost} KiB (${(memoryCost / 1024).toFixed(0)} MiB), t=${timeCost}, p=${parallelism}`
}

export function loginConnections (): number {
  return defaultHashConcurrency() * LOGIN_CONNECTIONS_PER_HASH_SLOT
}

export async function measureLoginThroughput (
  serverUrl: string, accounts: string[], durationSeconds: number, connections = loginConnections()
): Promise<LoginThroughput> {
  const result = await runLoad({
    url: `${serverUrl}/auth/login`,
    method: 'POST',
    connections,
    durationSeconds,
    headersPerConnection: [{ 'content-type': 'application/json' }],
    // Each login one of the next account: a few connections each logging its own account in
    // over and over would keep those accounts at their session cap, and every login would also
    // be an eviction over SESSION_MAX_PER_USER sessions.
    bodiesInTurn: accounts.map((account) => JSON.stringify({ account, password: BENCH_PASSWORD }))
  })
  return { ...result, connections, accounts: accounts.length, argon2: argon2Description() }
}

// Logins on the server, then argon2 alone in a child process, in interleaved rounds.
export async function measureLoginRatio (
  server: { url: string, pid: number }, accounts: string[], durationSeconds: number, rounds: number, connections = loginConnections()
): Promise<LoginRatio> {
  const hashConcurrency = defaultHashConcurrency()
  const logins: MeasuredLogins[] = []
  const argon2: Argon2Rate[] = []
  for (let round = 0; round < rounds; round++) {
    const cpuBefore = processCpuSeconds(server.pid)
    const mainBefore = mainThreadCpuSeconds(server.pid)
    const login = await measureLoginThroughput(server.url, accounts, durationSeconds, connections)
    logins.push({
      ...login,
      cpuMillisPerLogin: (processCpuSeconds(server.pid) - cpuBefore) * 1000 / login.requests,
      mainThreadMillisPerLogin: (mainThreadCpuSeconds(server.pid) - mainBefore) * 1000 / login.requests
    })
    argon2.push(await measureArgon2Rate(hashConcurrency, durationSeconds))
  }
  const roundRatios = logins.map((login, round) => login.requestsPerSecond / (argon2[round]?.verificationsPerSecond ?? Number.NaN))
  const total = (values: number[]): number => values.reduce((sum, value) => sum + value, 0)
  const cpuPerLogin = total(logins.map((login) => login.cpuMillisPerLogin * login.requests)) / total(logins.map((login) => login.requests))
  const cpuPerVerification = total(argon2.map((rate) => rate.cpuMillisPerVerification * rate.verified)) / total(argon2.map((rate) => rate.verified))
  return { hashConcurrency, logins, argon2, roundRatios, ratio: median(roundRatios), cpuRatio: cpuPerVerification / cpuPerLogin }
}
