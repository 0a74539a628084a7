import type { Redis } from 'ioredis'
import { WARM_BROWSER_SESSIONS, warmBrowserSessions } from './browser-sessions.js'
import { referenceServer, startServer } from './servers.js'
import { registerAccounts } from './sessions.js'
import type { BenchSettings } from './settings.js'
import { keyPrefixFor, logInOurSessions, startOurServer, type BenchContext } from './setup.js'
import { measureInterleaved, type Target } from './throughput.js'
import { summariseThroughput, type ThroughputRow } from './throughput-rows.js'

// Issue 28's rows 1-3: the cached check on an instance that has served many more sessions than
// the load generator's. 2 000 browser sessions log in on it and are used once first; then the bare
// route, our /health, /auth/me and GET /auth/verify are loaded in interleaved rounds, as in the
// throughput phase, under the same target ids.

export interface ManySessions {
  sessions: number
  throughput: ThroughputRow[]
}

export async function measureManySessions (
  context: BenchContext, settings: BenchSettings, admin: Redis, progress: (line: string) => void
): Promise<ManySessions> {
  const ours = await startOurServer(context, 'ours-many-sessions', { strategy: 'sliding', nearCache: 'on', keyPrefix: keyPrefixFor('sliding', 'on', 'many') })
  const bare = await startServer({ name: 'bare-fastify-many', script: referenceServer('bare-fastify'), env: { REDIS_URL: context.redisUrl, JWT_SECRET: context.jwtSecret } })
  try {
    progress(`${WARM_BROWSER_SESSIONS.toLocaleString('en-US')} browser sessions log in and are used once`)
    await warmBrowserSessions(ours.url, WARM_BROWSER_SESSIONS)
    // Accounts that exist already (registered by another instance on a shared database) are fine.
    await registerAccounts(ours.url, context.accounts)
    const sessions = await logInOurSessions(context, ours)
    const targets: Target[] = [
      { id: 'bare', label: 'bare Fastify route, no auth', url: `${bare.url}/auth/me`, pid: bare.pid },
      { id: 'ours-health', label: 'our /health', url: `${ours.url}/health`, pid: ours.pid },
      { id: 'ours-on', label: `our /auth/me, after ${WARM_BROWSER_SESSIONS} sessions`, url: `${ours.url}/auth/me`, pid: ours.pid, sessions },
      { id: 'ours-verify', label: `our GET /auth/verify, after ${WARM_BROWSER_SESSIONS} sessions`, url: `${ours.url}/auth/verify`, pid: ours.pid, sessions }
    ]
    return { sessions: WARM_BROWSER_SESSIONS, throughput: summariseThroughput(await measureInterleaved(targets, settings, admin, progress)) }
  } finally {
    await Promise.all([ours.stop(), bare.stop()])
  }
}
