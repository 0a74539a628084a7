import { randomUUID } from 'node:crypto'
import type { SessionRecord } from '../src/sessions/session-store.js'
import { newSessionId } from '../src/tokens/session-claims.js'

// Sessions shaped like real ones, for the memory and session-count measurements: a ~20
// character account, a device id, a typical browser user agent (~110 characters), an IPv4
// address, a login within the last week and "last seen" within the last minute.

export const TYPICAL_USER_AGENT =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36'
export const SESSION_TTL_MS = 7 * 24 * 60 * 60 * 1000
// One user per this many sessions: most people have a phone and a browser signed in.
export const SESSIONS_PER_USER = 2
const LAST_SEEN_WINDOW_MS = 60_000

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

export function realisticSession (userId: number, nowMs: number): RealisticSession {
  return {
    sessionId: newSessionId(),
    userId,
    userType: 'user',
    account: `user${userId}@example.com`,
    loginAt: nowMs - randomBelow(SESSION_TTL_MS),
    lastSeenAt: nowMs - randomBelow(LAST_SEEN_WINDOW_MS),
    deviceId: randomUUID(),
    userAgent: TYPICAL_USER_AGENT,
    ip: publicLookingIPv4()
  }
}

// The fields in the order RedisSessionStore writes them, plus the "last seen" a used session has.
export function hashFieldsOf (session: RealisticSession): string[] {
  const { userId, userType, account, loginAt, deviceId, userAgent, ip, lastSeenAt } = session
  return [
    'userId', String(userId), 'userType', userType, 'account', account, 'loginAt', String(loginAt),
    'deviceId', deviceId ?? '', 'userAgent', userAgent ?? '', 'ip', ip, 'lastSeenAt', String(lastSeenAt)
  ]
}
