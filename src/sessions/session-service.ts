import { sessionEnded, type SessionEndReason } from '../errors/api-errors.js'
import { newSessionId, type SessionClaims, type UserType } from '../tokens/session-claims.js'
import type { RevokeFilter, SessionRecord, SessionStore } from './session-store.js'

const MS_PER_SECOND = 1000
const USER_AGENT_MAX_LENGTH = 256

export interface SessionPolicy {
  // Idle timeout: every authenticated request resets the session's TTL to this.
  ttlSeconds: number
  // Absolute lifetime counted from the token's `iat`; 0 turns it off.
  maxLifetimeSeconds: number
}

export interface AuthenticatedUser {
  userId: number
  userType: UserType
  sessionId: string
  account: string
}

export interface SessionStart {
  userId: number
  userType: UserType
  account: string
  deviceId?: string
  userAgent?: string
  ip: string
}

// The sliding-session engine: what a login creates, what a request checks, what ends a session.
export class SessionService {
  constructor (private readonly store: SessionStore, private readonly policy: SessionPolicy) {}

  // Read before the password is checked, and passed to start: see SessionStore.create.
  async generation (userId: number): Promise<string> {
    return await this.store.generation(userId)
  }

  // The new session's claims, or undefined when all of the user's sessions were ended since
  // `generation` was read: the credentials this login checked may have changed meanwhile.
  async start (start: SessionStart, generation: string, nowMs = Date.now()): Promise<SessionClaims | undefined> {
    const claims: SessionClaims = {
      userId: start.userId,
      userType: start.userType,
      sid: newSessionId(),
      iat: Math.floor(nowMs / MS_PER_SECOND)
    }
    const record: SessionRecord = {
      ...start,
      sessionId: claims.sid,
      loginAt: nowMs,
      userAgent: start.userAgent?.slice(0, USER_AGENT_MAX_LENGTH)
    }
    const created = await this.store.create(record, this.ttlMsFor(claims.iat, nowMs), generation)
    return created ? claims : undefined
  }

  async authenticate (claims: SessionClaims, nowMs = Date.now()): Promise<AuthenticatedUser> {
    const ttlMs = this.ttlMsFor(claims.iat, nowMs)
    // The deadline is read from the token itself: no Redis call to refuse an old token.
    if (ttlMs <= 0) throw sessionEnded('max_lifetime')
    const touched = await this.store.touch(claims.userId, claims.sid, ttlMs, nowMs)
    if (!touched.alive) throw sessionEnded(touched.reason)
    return { userId: claims.userId, userType: claims.userType, sessionId: claims.sid, account: touched.account }
  }

  async end (userId: number, sessionId: string, reason: SessionEndReason): Promise<boolean> {
    return await this.store.revoke(userId, sessionId, reason)
  }

  async endAll (userId: number, reason: SessionEndReason, filter?: RevokeFilter): Promise<number> {
    return await this.store.revokeAll(userId, reason, filter)
  }

  async find (userId: number, sessionId: string): Promise<SessionRecord | undefined> {
    return await this.store.find(userId, sessionId)
  }

  async list (userId: number): Promise<SessionRecord[]> {
    return await this.store.list(userId)
  }

  async ping (): Promise<void> {
    await this.store.ping()
  }

  // The sliding TTL, capped so a session never outlives its absolute deadline.
  private ttlMsFor (iatSeconds: number, nowMs: number): number {
    const slidingMs = this.policy.ttlSeconds * MS_PER_SECOND
    if (this.policy.maxLifetimeSeconds === 0) return slidingMs
    const deadlineMs = (iatSeconds + this.policy.maxLifetimeSeconds) * MS_PER_SECOND
    return Math.min(slidingMs, deadlineMs - nowMs)
  }
}
