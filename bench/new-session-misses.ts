import type { Redis } from 'ioredis'
import { commandCalls, type CommandCalls } from './redis-stats.js'
import { logInWithToken } from './sessions.js'

// How many of a new session's first checks miss the near-cache: each miss runs the touch script
// (one EVALSHA), each hit sends Redis nothing, so the scripts Redis ran during a fresh session's
// first checks are its misses. Sessions one at a time, each checked right after its login, the
// checks one after the other, as a client that has just logged in makes them.

export interface NewSessionMisses {
  sessions: number
  checksPerSession: number
  // Median over the sessions, and the most any one of them missed.
  missesPerSession: number
  mostMisses: number
}

const SCRIPT_COMMANDS = ['evalsha', 'eval']

function scriptCalls (calls: CommandCalls): number {
  return SCRIPT_COMMANDS.reduce((sum, name) => sum + (calls.get(name) ?? 0), 0)
}

export async function measureNewSessionMisses (
  serverUrl: string, admin: Redis, accounts: string[], sessions: number, checksPerSession: number
): Promise<NewSessionMisses> {
  const misses: number[] = []
  for (let session = 0; session < sessions; session++) {
    const [headers] = await logInWithToken(serverUrl, [accounts[session % accounts.length] ?? ''], 1)
    const before = scriptCalls(await commandCalls(admin))
    for (let check = 0; check < checksPerSession; check++) {
      const response = await fetch(`${serverUrl}/auth/me`, { headers })
      await response.body?.cancel()
      if (response.status !== 200) throw new Error(`GET /auth/me with a new session answered ${response.status}`)
    }
    misses.push(scriptCalls(await commandCalls(admin)) - before)
  }
  misses.sort((a, b) => a - b)
  return {
    sessions,
    checksPerSession,
    missesPerSession: misses[Math.floor(misses.length / 2)] ?? Number.NaN,
    mostMisses: misses[misses.length - 1] ?? Number.NaN
  }
}
