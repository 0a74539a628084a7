import { logInWithToken, registerAccounts } from './sessions.js'
import { startOurServer, type BenchContext } from './setup.js'

// How many of a new session's first checks miss the near-cache, by the server's own count
// (near_cache_requests_total{result="miss"} on /metrics): a server of its own with METRICS=on,
// sessions one at a time, each checked right after its login, the checks one after the other,
// as a client that has just logged in makes them. Redis' command counts would not tell: a miss
// may be followed by a read in the background that no request waits for.

export interface NewSessionMisses {
  sessions: number
  checksPerSession: number
  // Median over the sessions, and the most any one of them missed.
  missesPerSession: number
  mostMisses: number
}

const MISSES_LINE = /^\w*near_cache_requests_total\{result="miss"\} (\d+)/m

async function nearCacheMisses (serverUrl: string): Promise<number> {
  const response = await fetch(`${serverUrl}/metrics`)
  const text = await response.text()
  const misses = MISSES_LINE.exec(text)?.[1]
  if (misses === undefined) throw new Error(`${serverUrl}/metrics has no near-cache miss count (${response.status})`)
  return Number(misses)
}

export async function measureNewSessionMisses (context: BenchContext, sessions: number, checksPerSession: number): Promise<NewSessionMisses> {
  const server = await startOurServer(context, 'ours-new-sessions', { strategy: 'sliding', nearCache: 'on', keyPrefix: 'bench-new-sessions:', metrics: 'on' })
  try {
    // Accounts that exist already (registered by another instance on a shared database) are fine.
    await registerAccounts(server.url, context.accounts)
    const misses: number[] = []
    for (let session = 0; session < sessions; session++) {
      const [headers] = await logInWithToken(server.url, [context.accounts[session % context.accounts.length] ?? ''], 1)
      const before = await nearCacheMisses(server.url)
      for (let check = 0; check < checksPerSession; check++) {
        const response = await fetch(`${server.url}/auth/me`, { headers })
        await response.body?.cancel()
        if (response.status !== 200) throw new Error(`GET /auth/me with a new session answered ${response.status}`)
      }
      misses.push(await nearCacheMisses(server.url) - before)
    }
    misses.sort((a, b) => a - b)
    return {
      sessions,
      checksPerSession,
      missesPerSession: misses[Math.floor(misses.length / 2)] ?? Number.NaN,
      mostMisses: misses[misses.length - 1] ?? Number.NaN
    }
  } finally {
    await server.stop()
  }
}
