import { availableParallelism } from 'node:os'
import { ARGON2_OPTIONS } from '../src/passwords/password-hasher.js'
import { runLoad, type LoadResult } from './load.js'
import { BENCH_PASSWORD } from './sessions.js'

// Logins per second: each one verifies an argon2id hash, which is meant to be slow, so
// this is bounded by the CPU, with one connection per core.

export interface LoginThroughput extends LoadResult {
  connections: number
  argon2: string
}

export function argon2Description (): string {
  const { memoryCost, timeCost, parallelism } = ARGON2_OPTIONS
  return `argon2id, m=${memoryCost} KiB (${(memoryCost / 1024).toFixed(0)} MiB), t=${timeCost}, p=${parallelism}`
}

export async function measureLoginThroughput (serverUrl: string, accounts: string[], durationSeconds: number): Promise<LoginThroughput> {
  const connections = availableParallelism()
  const result = await runLoad({
    url: `${serverUrl}/auth/login`,
    method: 'POST',
    connections,
    durationSeconds,
    headersPerConnection: [{ 'content-type': 'application/json' }],
    bodyPerConnection: accounts.map((account) => JSON.stringify({ account, password: BENCH_PASSWORD }))
  })
  return { ...result, connections, argon2: argon2Description() }
}
