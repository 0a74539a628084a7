import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { pgliteBenchDatabase, type BenchDatabase } from './database.js'
import { runLoad } from './load.js'
import { loginConnections, measureLoginThroughput } from './login-throughput.js'
import { ourServerSpec } from './our-server.js'
import { startServer, type RunningServer } from './servers.js'
import { assertSessionsWork, logInWithToken, registerAccounts } from './sessions.js'
import type { BenchSettings } from './settings.js'
import { keyPrefixFor, type BenchContext } from './setup.js'

// Resident memory (VmRSS) of our server process: with the embedded database, started the
// default way (no DATABASE_URL, a new DATA_DIR), and with PostgreSQL when the bench has one.
// Each is read idle a few seconds after it answers, before any request; then each is loaded
// alone, like a measured throughput run of GET /auth/me and then like the login run, while
// VmRSS is sampled, and read again as long after the load as the idle reading after start.

export interface ServerMemoryRow {
  label: string
  embedded: boolean
  idleMiB: number
  authLoadPeakMiB: number
  loginLoadPeakMiB: number
  // VmRSS `idleSeconds` after the login load ended: what the process keeps of the load.
  afterLoadMiB: number
  // Non-2xx answers and connection errors during the load; anything but 0 is a broken figure.
  failures: number
}

export interface ServerMemoryResult {
  idleSeconds: number
  authLoadSeconds: number
  authConnections: number
  loginLoadSeconds: number
  loginConnections: number
  rows: ServerMemoryRow[]
}

const IDLE_SECONDS = 5
const SAMPLE_INTERVAL_MS = 100
const KIB_PER_MIB = 1024
// Enough for the argon2 memory of every hashing slot to be in use many times over.
const LOGIN_LOAD_SECONDS_LIMIT = 3
// Reused round-robin by the connections: what the server keeps per session is tiny next to
// what serving the requests takes, and each login is an argon2 hash of bench time.
const LOADED_SESSIONS = 20

// VmRSS of a process (Linux), in MiB; NaN elsewhere.
export function residentMiB (pid: number): number {
  try {
    const kib = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
    return kib === undefined ? Number.NaN : Number(kib) / KIB_PER_MIB
  } catch {
    return Number.NaN
  }
}

async function peakResidentWhile<T> (pid: number, work: () => Promise<T>): Promise<{ peakMiB: number, result: T }> {
  let peakMiB = residentMiB(pid)
  const sampler = setInterval(() => { peakMiB = Math.max(peakMiB, residentMiB(pid)) }, SAMPLE_INTERVAL_MS)
  try {
    const result = await work()
    return { peakMiB: Math.max(peakMiB, residentMiB(pid)), result }
  } finally {
    clearInterval(sampler)
  }
}

interface MemorySetup {
  label: string
  embedded: boolean
  database: BenchDatabase
}

export async function measureServerMemory (context: BenchContext, settings: BenchSettings): Promise<ServerMemoryResult> {
  const setups: MemorySetup[] = [{ label: 'embedded PGlite (the default: no DATABASE_URL)', embedded: true, database: pgliteBenchDatabase() }]
  if (context.database.shared) setups.push({ label: 'PostgreSQL (DATABASE_URL)', embedded: false, database: context.database })
  const loginLoadSeconds = Math.min(settings.loginSeconds, LOGIN_LOAD_SECONDS_LIMIT)

  // Started together, each read the same time after it answers; loaded one at a time.
  const started = await Promise.all(setups.map(async (setup, index) => {
    const server = await startServer(ourServerSpec({
      name: `memory-${setup.embedded ? 'embedded' : 'postgres'}`,
      redisUrl: context.redisUrl,
      jwtSecret: context.jwtSecret,
      database: setup.database,
      strategy: 'sliding',
      nearCache: 'on',
      keyPrefix: keyPrefixFor('sliding', 'on', `memory-${index}`)
    }))
    await sleep(IDLE_SECONDS * 1000)
    return { setup, server, idleMiB: residentMiB(server.pid) }
  }))
  try {
    const rows: ServerMemoryRow[] = []
    for (const { setup, server, idleMiB } of started) {
      context.progress(`${setup.label}: ${idleMiB.toFixed(0)} MiB idle; loading it`)
      rows.push({ label: setup.label, embedded: setup.embedded, idleMiB, ...await loadAndSample(context, settings, server, loginLoadSeconds) })
    }
    return {
      idleSeconds: IDLE_SECONDS,
      authLoadSeconds: settings.durationSeconds,
      authConnections: settings.connections,
      loginLoadSeconds,
      loginConnections: loginConnections(),
      rows
    }
  } finally {
    await Promise.all(started.map(async ({ server }) => await server.stop()))
  }
}

// The two loads of a measured run, with the peak VmRSS of each.
export async function loadAndSample (
  context: BenchContext, settings: BenchSettings, server: RunningServer, loginLoadSeconds: number
): Promise<Pick<ServerMemoryRow, 'authLoadPeakMiB' | 'loginLoadPeakMiB' | 'afterLoadMiB' | 'failures'>> {
  // On a shared database the accounts may exist already (409); each server hashes as many passwords either way.
  await registerAccounts(server.url, context.accounts)
  const sessions = await logInWithToken(server.url, context.accounts, LOADED_SESSIONS)
  await assertSessionsWork(`${server.url}/auth/me`, sessions)
  const auth = await peakResidentWhile(server.pid, async () => await runLoad({
    url: `${server.url}/auth/me`, connections: settings.connections, durationSeconds: settings.durationSeconds, headersPerConnection: sessions
  }))
  const login = await peakResidentWhile(server.pid, async () => await measureLoginThroughput(server.url, context.accounts, loginLoadSeconds))
  await sleep(IDLE_SECONDS * 1000)
  return {
    authLoadPeakMiB: auth.peakMiB,
    loginLoadPeakMiB: login.peakMiB,
    afterLoadMiB: residentMiB(server.pid),
    failures: auth.result.non2xx + auth.result.errors + login.result.non2xx + login.result.errors
  }
}
