import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { fixed, integer, table } from './markdown.js'
import { ourServerSpec } from './our-server.js'
import { registerAccounts } from './sessions.js'
import { measureNewSessionMisses } from './new-session-misses.js'
import { referenceServer, startServer } from './servers.js'
import { startOurServer, keyPrefixFor, logInOurSessions, type BenchContext } from './setup.js'
import { runStandalone } from './standalone.js'
import { measureInterleaved, type Target } from './throughput.js'
import { summariseThroughput } from './throughput-rows.js'
import { WARM_BROWSER_SESSIONS, warmBrowserSessions } from './browser-sessions.js'

// npm run bench:hotpath: the answer path alone. Our server after 2 000 browser sessions have
// logged in and each been used once, beside a bare Fastify route, our own /health, and a second
// instance of our server that has seen only the load generator's sessions; then how many of a
// new session's first checks miss the near-cache. The same BENCH_* settings apply.

const NEW_SESSIONS = 20
const CHECKS_PER_NEW_SESSION = 5

// BENCH_BASELINE_DIST: the dist/ directory of another build (main's, say), whose server is
// measured beside this one's in the same rounds, after its own browser sessions: a before/after.
async function baselineTargets (context: BenchContext): Promise<Target[]> {
  const dist = process.env.BENCH_BASELINE_DIST
  if (dist === undefined || dist === '') return []
  const spec = ourServerSpec({ name: 'baseline', redisUrl: context.redisUrl, jwtSecret: context.jwtSecret, database: context.database, strategy: 'sliding', nearCache: 'on', keyPrefix: 'baseline-sliding-on:' })
  const server = await startServer({ ...spec, script: pathToFileURL(join(dist, 'server.js')) })
  if (!context.database.shared) await registerAccounts(server.url, context.accounts)
  context.progress(`baseline (${dist}): ${WARM_BROWSER_SESSIONS} browser sessions log in and are used once`)
  await warmBrowserSessions(server.url, WARM_BROWSER_SESSIONS)
  const sessions = await logInOurSessions(context, server)
  return [
    { id: 'baseline-health', label: 'baseline: /health', url: `${server.url}/health`, pid: server.pid },
    { id: 'baseline-on', label: `baseline: /auth/me, after ${WARM_BROWSER_SESSIONS} sessions`, url: `${server.url}/auth/me`, pid: server.pid, sessions },
    { id: 'baseline-verify', label: `baseline: GET /auth/verify, after ${WARM_BROWSER_SESSIONS} sessions`, url: `${server.url}/auth/verify`, pid: server.pid, sessions }
  ]
}

await runStandalone(async ({ settings, redis, context }) => {
  const { progress } = context
  const on = await startOurServer(context, 'ours-on', { strategy: 'sliding', nearCache: 'on', keyPrefix: keyPrefixFor('sliding', 'on') })
  const fresh = await startOurServer(context, 'ours-fresh', { strategy: 'sliding', nearCache: 'on', keyPrefix: keyPrefixFor('sliding', 'on', 'fresh') })
  const bare = await startServer({ name: 'bare-fastify', script: referenceServer('bare-fastify'), env: { REDIS_URL: context.redisUrl, JWT_SECRET: context.jwtSecret } })
  progress(`${WARM_BROWSER_SESSIONS} browser sessions log in and are used once`)
  await warmBrowserSessions(on.url, WARM_BROWSER_SESSIONS)
  const onSessions = await logInOurSessions(context, on)
  const baseline = await baselineTargets(context)
  const targets: Target[] = [
    { id: 'bare', label: 'bare Fastify route, no auth', url: `${bare.url}/auth/me`, pid: bare.pid },
    { id: 'ours-health', label: 'our /health', url: `${on.url}/health`, pid: on.pid },
    { id: 'ours-on', label: `our /auth/me, after ${WARM_BROWSER_SESSIONS} sessions`, url: `${on.url}/auth/me`, pid: on.pid, sessions: onSessions },
    { id: 'ours-verify', label: `our GET /auth/verify, after ${WARM_BROWSER_SESSIONS} sessions`, url: `${on.url}/auth/verify`, pid: on.pid, sessions: onSessions },
    { id: 'ours-fresh', label: 'our /auth/me, load generator\'s sessions only', url: `${fresh.url}/auth/me`, pid: fresh.pid, sessions: await logInOurSessions(context, fresh) },
    ...baseline
  ]
  const rows = summariseThroughput(await measureInterleaved(targets, settings, redis.admin, progress))
  const health = rows.find((row) => row.id === 'ours-health')?.medianRps ?? Number.NaN
  const misses = await measureNewSessionMisses(context, NEW_SESSIONS, CHECKS_PER_NEW_SESSION)
  return [
    table(['target', 'req/s (median)', '× bare', '× our /health', 'server CPU µs / req', 'Redis cmds / req', 'req/s per round'], rows.map((row) => [
      row.label, integer(row.medianRps), fixed(row.ratioToBare), fixed(row.medianRps / health), integer(row.serverCpuMicros),
      fixed(row.commandsPerRequest), row.roundsRps.map(integer).join(' / ')
    ])),
    '',
    `near-cache misses in a new session's first ${misses.checksPerSession} checks: ${misses.missesPerSession} (median of ${misses.sessions} sessions; most ${misses.mostMisses})`
  ].join('\n')
})
