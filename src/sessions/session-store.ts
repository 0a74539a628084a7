import type { SessionEndReason } from '../errors/api-errors.js'
import type { UserType } from '../tokens/session-claims.js'

// What a session remembers. Never the token: only the id that is also inside it.
export interface SessionRecord {
  sessionId: string
  userId: number
  userType: UserType
  account: string
  loginAt: number
  lastSeenAt?: number
  deviceId?: string
  userAgent?: string
  ip: string
}

export type TouchResult =
  | { alive: true, account: string }
  | { alive: false, reason: SessionEndReason }

export interface RevokeFilter {
  deviceId?: string
}

// The storage boundary of the session engine. Every method is one atomic step in the store;
// a store that cannot be reached throws a 503 error (1503), never reports "no session".
export interface SessionStore {
  create: (record: SessionRecord, ttlMs: number) => Promise<void>
  // Checks that the session exists and resets its TTL, in one round trip.
  touch: (userId: number, sessionId: string, ttlMs: number, nowMs: number) => Promise<TouchResult>
  list: (userId: number) => Promise<SessionRecord[]>
  revoke: (userId: number, sessionId: string, reason: SessionEndReason) => Promise<boolean>
  revokeAll: (userId: number, reason: SessionEndReason, filter?: RevokeFilter) => Promise<number>
  ping: () => Promise<void>
}
