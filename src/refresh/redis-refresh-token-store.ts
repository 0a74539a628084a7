import type { Redis } from 'ioredis'
import type { SessionEndReason } from '../errors/api-errors.js'
import { callRedis } from '../redis/redis-failure.js'
import { INDEX_TTL_SLACK_MS } from '../sessions/redis-session-store.js'
import { sessionKeys, type SessionKeys } from '../sessions/session-keys.js'
import type { SessionRecord } from '../sessions/session-store.js'
import type { UserType } from '../tokens/session-claims.js'
import { defineRefreshCommands } from './refresh-scripts.js'
import type { RefreshRules, RefreshTokenStore, RotateOutcome, TokenRef } from './refresh-token-store.js'

// Refresh tokens inside their session's Redis hash: no key of their own, one script per refresh.
export class RedisRefreshTokenStore implements RefreshTokenStore {
  private readonly keys: SessionKeys

  constructor (private readonly redis: Redis, keyPrefix = '') {
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
      default: return { status: reply[0] }
    }
  }

  // The tokens live in the session hash: ending the session has already ended them.
  async sessionEnded (): Promise<void> {}
  async userSessionsEnded (): Promise<void> {}
}
