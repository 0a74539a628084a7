import { randomBytes } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cleanUp, installExitHandlers } from './cleanup.js'
import { openBenchDatabase } from './database.js'
import { runLoad } from './load.js'
import { ourServerSpec } from './our-server.js'
import { startBenchRedis } from './redis-stats.js'
import { startServer } from './servers.js'
import { benchAccounts, logInWithToken, registerAccounts } from './sessions.js'
import { readSettings } from './settings.js'
import { warmBrowserSessions } from './browser-sessions.js'

// npm run bench:profile [route] [browser sessions]: where our server's CPU goes while one route
// is under load, optionally after that many browser sessions have logged in and been used once.
// The server runs as in the benchmark, with V8's sampling profiler on (`--cpu-prof`); only the
// samples taken during the measured load count, so start-up and shut-down stay out. Prints
// the functions with the most self time, as a share of the busy (not idle) samples.

interface ProfileNode {
  id: number
  callFrame: { functionName: string, url: string, lineNumber: number }
}

interface CpuProfile {
  nodes: ProfileNode[]
  startTime: number
  samples: number[]
  timeDeltas: number[]
}

const TOP_ENTRIES = 25
const NANOS_PER_MICRO = 1000n
const NOT_BUSY = new Set(['(idle)', '(root)'])

function monotonicMicros (): number {
  return Number(process.hrtime.bigint() / NANOS_PER_MICRO)
}

function frameName ({ functionName, url, lineNumber }: ProfileNode['callFrame']): string {
  const where = url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/dist\//, '')
  return `${functionName === '' ? '(anonymous)' : functionName} ${where === '' ? '' : `${where}:${lineNumber + 1}`}`.trim()
}

// V8 stamps samples with the monotonic clock that process.hrtime reads, in microseconds.
function selfTimeBetween (profile: CpuProfile, fromMicros: number, toMicros: number): Map<string, number> {
  const frames = new Map(profile.nodes.map((node) => [node.id, frameName(node.callFrame)]))
  const selfTime = new Map<string, number>()
  let at = profile.startTime
  profile.samples.forEach((nodeId, index) => {
    const delta = profile.timeDeltas[index] ?? 0
    at += delta
    const frame = frames.get(nodeId) ?? '?'
    if (at < fromMicros || at > toMicros || NOT_BUSY.has(frame)) return
    selfTime.set(frame, (selfTime.get(frame) ?? 0) + delta)
  })
  return selfTime
}

async function main (): Promise<void> {
  installExitHandlers()
  const route = process.argv[2] ?? '/auth/me'
  const warmSessions = Number(process.argv[3] ?? 0)
  const settings = readSettings()
  const profileDir = mkdtempSync(join(tmpdir(), 'bench-profile-'))
  try {
    const redis = await startBenchRedis()
    const database = await openBenchDatabase()
    const accounts = benchAccounts(Math.ceil(settings.connections / 2))
    const spec = ourServerSpec({
      name: 'profiled',
      redisUrl: redis.url,
      jwtSecret: randomBytes(48).toString('base64'),
      database,
      strategy: 'sliding',
      nearCache: 'on',
      keyPrefix: 'bench-profile:'
    })
    const server = await startServer({ ...spec, nodeArgs: [...spec.nodeArgs ?? [], '--cpu-prof', `--cpu-prof-dir=${profileDir}`] })
    await registerAccounts(server.url, accounts)
    if (warmSessions > 0) await warmBrowserSessions(server.url, warmSessions)
    const sessions = await logInWithToken(server.url, accounts, settings.connections)
    const load = { url: `${server.url}${route}`, connections: settings.connections, headersPerConnection: sessions }
    await runLoad({ ...load, durationSeconds: settings.warmupSeconds })
    const from = monotonicMicros()
    const result = await runLoad({ ...load, durationSeconds: settings.durationSeconds })
    const to = monotonicMicros()
    // The profile is written when the process exits.
    await server.stop()

    const file = readdirSync(profileDir).find((name) => name.endsWith('.cpuprofile'))
    if (file === undefined) throw new Error('the server wrote no CPU profile')
    const selfTime = selfTimeBetween(JSON.parse(readFileSync(join(profileDir, file), 'utf8')) as CpuProfile, from, to)
    const busy = [...selfTime.values()].reduce((sum, micros) => sum + micros, 0)
    console.log(`GET ${route}: ${Math.round(result.requestsPerSecond)} req/s (${result.non2xx} non-2xx), ` +
      `${(busy / 1000).toFixed(0)} ms of busy samples over ${((to - from) / 1000).toFixed(0)} ms`)
    console.log('| self time | function |\n| ---: | --- |')
    for (const [frame, micros] of [...selfTime].sort((a, b) => b[1] - a[1]).slice(0, TOP_ENTRIES)) {
      console.log(`| ${(100 * micros / busy).toFixed(1)}% | \`${frame}\` |`)
    }
  } finally {
    rmSync(profileDir, { recursive: true, force: true })
    await cleanUp()
  }
}

await main()
