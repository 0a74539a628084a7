import { pgliteBenchDatabase } from './database.js'
import { fixed, integer, table } from './markdown.js'
import { ourServerSpec } from './our-server.js'
import { loadAndSample, residentMiB } from './server-memory.js'
import { startServer, type RunningServer } from './servers.js'
import { logInWithToken, registerAccounts } from './sessions.js'
import { keyPrefixFor } from './setup.js'
import { runStandalone } from './standalone.js'
import { startCommand } from './start-command.js'
import { summariseThroughput } from './throughput-rows.js'
import { measureInterleaved, type Target } from './throughput.js'
import { setTimeout as sleep } from 'node:timers/promises'

// node dist/bench/node-flags-bench.js "<flags>" "<flags>" …: our server in the default set-up
// (embedded PGlite, `npm start`'s variables) once per set of node flags given, "" meaning the
// start script's own. Each is read idle 5 s after it answers and at its peaks under the server
// memory phase's loads, then all are loaded on GET /auth/me in interleaved rounds, for the CPU a
// request costs: what a memory flag costs in throughput.

const IDLE_SECONDS = 5
const SESSIONS = 20

await runStandalone(async ({ settings, redis, context }) => {
  const variants = process.argv.slice(2)
  if (variants.length === 0) variants.push('')
  // One after the other: several PGlite first starts at once outlast the start timeout here.
  const started: Array<{ flags: string, server: RunningServer, idleMiB: number }> = []
  for (const [index, flags] of variants.entries()) {
    const nodeArgs = flags === '' ? startCommand().nodeArgs : flags.split(/\s+/)
    const server = await startServer(ourServerSpec({
      name: `flags-${index}`,
      redisUrl: context.redisUrl,
      jwtSecret: context.jwtSecret,
      database: pgliteBenchDatabase(),
      strategy: 'sliding',
      nearCache: 'on',
      keyPrefix: keyPrefixFor('sliding', 'on', `flags-${index}`),
      nodeArgs
    }))
    await sleep(IDLE_SECONDS * 1000)
    started.push({ flags: nodeArgs.join(' '), server, idleMiB: residentMiB(server.pid) })
  }
  const memory = []
  const targets: Target[] = []
  for (const { flags, server, idleMiB } of started) {
    context.progress(`${flags}: ${idleMiB.toFixed(0)} MiB idle; loading it`)
    memory.push({ flags, idleMiB, ...await loadAndSample(context, settings, server, Math.min(settings.loginSeconds, 3)) })
    await registerAccounts(server.url, context.accounts)
    targets.push({ id: flags, label: flags, url: `${server.url}/auth/me`, pid: server.pid, sessions: await logInWithToken(server.url, context.accounts, SESSIONS) })
  }
  const rows = summariseThroughput(await measureInterleaved(targets, settings, redis.admin, context.progress))
  await Promise.all(started.map(async ({ server }) => await server.stop()))
  return table(['node flags', 'idle MiB', 'peak, /auth/me', 'peak, logins', 'after load', 'failures', 'req/s (median)', 'server CPU µs / req', 'req/s per round'],
    memory.map((row, index) => {
      const throughput = rows[index]
      return [row.flags, integer(row.idleMiB), integer(row.authLoadPeakMiB), integer(row.loginLoadPeakMiB), integer(row.afterLoadMiB), String(row.failures + (throughput?.failures ?? 0)),
        integer(throughput?.medianRps ?? Number.NaN), fixed(throughput?.serverCpuMicros ?? Number.NaN, 1), (throughput?.roundsRps ?? []).map(integer).join(' / ')]
    }))
})
