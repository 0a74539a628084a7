import type { Redis } from 'ioredis'
import type { SessionEndReason } from '../errors/api-errors.js'
import { callRedis } from '../redis/redis-failure.js'
import { INDEX_TTL_SLACK_MS } from '../sessions/redis-session-store.js'
import { sessionKeys, type SessionKeys } from '../sessions/session-keys.js'
import type { SessionRecord, SessionStore } from '../sessions/session-store.js'
import type { UserType } from '../tokens/session-claims.js'
import { defineRefreshCommands } from './refresh-scripts.js'
import { digestOf, successorOf } from './refresh-token.js'
import type { RefreshRules, RefreshTokenStore, RotateOutcome, TokenRef } from './refresh-token-store.js'

// Bounds the walk down a family's token chain, a few ms of CPU: 30 days of 30-minute access
// tokens is 1 440 rotations. Tokens retired longer ago than that are merely unknown (1004).
const MAX_CHAIN_STEPS = 2_000

// Refresh tokens inside their session's Redis hash: no key of their own, one script per refresh.
// The hash keeps the current and the last retired digest only; an older retired token is
// recognised by deriving successors from it (see successorOf) until one is the last retired.
export class RedisRefreshTokenStore implements RefreshTokenStore {
  private readonly keys: SessionKeys

  // `sessions` ends a family whose token was reused, so that caches in front of Redis hear of it.
  constructor (
    private readonly redis: Redis,
    private readonly sessions: SessionStore,
    private readonly successorKey: Buffer,
    keyPrefix = ''
  ) {
    this.keys = sessionKeys(keyPrefix)
    defineRefreshCommands(redis)
  }

  async issue (session: SessionRecord, token: { digest: string, expiresAt: number }): Promise<boolean> {
    const issued = await callRedis(() => this.redis.refreshIssue(
      this.keys.session(session.userId, session.sessionId), token.digest, session.loginAt, token.expiresAt
    ))
    return issued === 1
  }

  async rotate (presented: TokenRef, successorDigest: string, nowMs: number, rules: RefreshRules): Promise<RotateOutcome> {
    const { keys } = this
    const { userId, family } = presented
    const reply = await callRedis(() => this.redis.refreshRotate(
      keys.session(userId, family), keys.index(userId), keys.tombstone(userId, family),
      presented.digest, successorDigest, nowMs, rules.refreshTtlMs, rules.sliding ? '1' : '0',
      rules.reuseGraceMs, rules.minIntervalMs, rules.maxLifetimeMs, INDEX_TTL_SLACK_MS, family
    ))
    switch (reply[0]) {
      case 'rotated':
      case 'replayed':
        return {
          status: reply[0],
          userType: reply[1] as UserType,
          loginAt: Number(reply[2]),
          rotatedAt: Number(reply[3]),
          expiresAt: Number(reply[4])
        }
      case 'too_soon': return { status: 'too_soon', retryAfterMs: Number(reply[1]) }
      case 'ended': return { status: 'ended', reason: reply[1] as SessionEndReason }
      case 'unknown': {
        // An older token of this family. Retired before the last rotation, so if even that one
        // is past the grace window, so is this token: theft. Within it, a client that lost two
        // races in a row; it is refused, and revokes nothing.
        if (reply.length !== 4 || nowMs - Number(reply[3]) <= rules.reuseGraceMs) return { status: 'unknown' }
        return this.precedes(presented, reply[1], Number(reply[2])) ? await this.revokeReused(presented) : { status: 'unknown' }
      }
      // The script has already ended the session; ending it again through the session store
      // is a no-op in Redis that lets a cache in front of it drop the session at once.
      case 'reused': return await this.revokeReused(presented)
      default: return { status: reply[0] }
    }
  }

  // Whether `presented` is an earlier token of the chain that led to `lastRetiredDigest`.
  private precedes (presented: TokenRef, lastRetiredDigest: string, rotations: number): boolean {
    if (lastRetiredDigest === '') return false
    let token = presented.token
    for (let step = 1; step < Math.min(rotations, MAX_CHAIN_STEPS); step++) {
      token = successorOf({ ...presented, token }, this.successorKey)
      if (digestOf(token) === lastRetiredDigest) return true
    }
    return false
  }

  private async revokeReused (presented: TokenRef): Promise<RotateOutcome> {
    await this.sessions.revoke(presented.userId, presented.family, 'refresh_reused')
    return { status: 'reused' }
  }

  // The tokens live in the session hash: ending the session has already ended them.
  async sessionEnded (): Promise<void> {}
  async userSessionsEnded (): Promise<void> {}
}
