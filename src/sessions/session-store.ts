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
  // The user's session generation: read it before checking a password and hand it to create.
  generation: (userId: number) => Promise<string>
  // False, and nothing stored, when a revoke-all has moved the generation since it was read.
  create: (record: SessionRecord, ttlMs: number, generation: string) => Promise<boolean>
  // Checks that the session exists and resets its TTL, in one round trip.
  touch: (userId: number, sessionId: string, ttlMs: number, nowMs: number) => Promise<TouchResult>
  find: (userId: number, sessionId: string) => Promise<SessionRecord | undefined>
  // The user's sessions, newest first.
  list: (userId: number) => Promise<SessionRecord[]>
  revoke: (userId: number, sessionId: string, reason: SessionEndReason) => Promise<boolean>
  revokeAll: (userId: number, reason: SessionEndReason, filter?: RevokeFilter) => Promise<number>
  ping: () => Promise<void>
}
