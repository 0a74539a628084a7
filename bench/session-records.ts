import { randomUUID } from 'node:crypto'
import type { LoginClient } from '../src/sessions/login-session-start.js'
import type { SessionRecord } from '../src/sessions/session-store.js'
import { newSessionId } from '../src/tokens/session-claims.js'

// Logins shaped like real ones, for the memory and session-count measurements: a ~20 character
// account, an IPv4 address, a login within the last week and "last seen" within the last minute.
// A browser signs in through the web page with its whole User-Agent header and names no device;
// an app names its device (a UUID here) and sends its own, shorter, User-Agent.

// A current Chrome on macOS: 117 bytes, longer than Redis' compact value limit (64).
export const BROWSER_USER_AGENT =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'
export const APP_USER_AGENT = 'ExampleNotes/4.12.0 (iPhone; iOS 17.5; Scale/3.00)'
export const SESSION_TTL_MS = 7 * 24 * 60 * 60 * 1000
// One user per this many sessions: most people have a phone and a browser signed in.
export const SESSIONS_PER_USER = 2
const LAST_SEEN_WINDOW_MS = 60_000

export type ClientKind = 'browser' | 'app'

export interface RealisticLogin {
  user: { id: number, userType: 'user', account: string }
  client: LoginClient
  loginAt: number
  lastSeenAt: number
}

export interface RealisticSession extends SessionRecord {
  lastSeenAt: number
}

// Filler, not secrets: Math.random is enough, and cheap for a million sessions.
function randomBelow (limit: number): number {
  return Math.floor(Math.random() * limit)
}

function publicLookingIPv4 (): string {
  return `${1 + randomBelow(223)}.${randomBelow(256)}.${randomBelow(256)}.${1 + randomBelow(254)}`
}

export function realisticLogin (kind: ClientKind, userId: number, nowMs: number): RealisticLogin {
  const ip = publicLookingIPv4()
  return {
    user: { id: userId, userType: 'user', account: `user${userId}@example.com` },
    client: kind === 'browser' ? { userAgent: BROWSER_USER_AGENT, ip } : { userAgent: APP_USER_AGENT, ip, deviceId: randomUUID() },
    loginAt: nowMs - randomBelow(SESSION_TTL_MS),
    lastSeenAt: nowMs - randomBelow(LAST_SEEN_WINDOW_MS)
  }
}

// The record a browser login stores, for writing a great many straight into Redis. `label` is
// deviceLabel(BROWSER_USER_AGENT), the same for every one of them, so made once by the caller.
export function realisticBrowserSession (userId: number, nowMs: number, label: string | undefined): RealisticSession {
  const { user, client, loginAt, lastSeenAt } = realisticLogin('browser', userId, nowMs)
  return { sessionId: newSessionId(), userId, userType: user.userType, account: user.account, ip: client.ip, userAgent: label, loginAt, lastSeenAt }
}
