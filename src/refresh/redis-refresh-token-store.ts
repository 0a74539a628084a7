import type { RedisClient } from '../redis/redis-client.js'
import { callRedis } from '../redis/redis-failure.js'
import { INDEX_TTL_SLACK_MS } from '../sessions/redis-session-store.js'
import { sessionKeys, type SessionKeys } from '../sessions/session-keys.js'
import type { SessionRecord, SessionStore } from '../sessions/session-store.js'
import { startedUserId } from '../sessions/session-user-id.js'
import { defineRefreshCommands } from './refresh-scripts.js'
import { decodeIssueRefreshTokenReply, issueRefreshTokenCall } from './scripts/issue-refresh-token.js'
import { decodeRotateRefreshTokenReply, rotateRefreshTokenCall } from './scripts/rotate-refresh-token.js'
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
    private readonly redis: RedisClient,
    private readonly sessions: SessionStore,
    private readonly successorKey: Buffer,
    keyPrefix = ''
  ) {
    this.keys = sessionKeys(keyPrefix)
    defineRefreshCommands(redis)
  }

  async issue (session: SessionRecord, token: { digest: string, expiresAt: number }): Promise<boolean> {
    const call = issueRefreshTokenCall(
      { sessionKey: this.keys.session(session.userId, session.sessionId) },
      { digest: token.digest, issuedAt: session.loginAt, expiresAt: token.expiresAt }
    )
    return decodeIssueRefreshTokenReply(await callRedis(() => this.redis.refreshIssue(...call)))
  }

  async rotate (presented: TokenRef, successorDigest: string, nowMs: number, rules: RefreshRules): Promise<RotateOutcome> {
    const { userId, family } = presented
    const call = rotateRefreshTokenCall(this.keys.oneSession(userId, family), {
      ...rules,
      presentedDigest: presented.digest,
      successorDigest,
      nowMs,
      indexSlackMs: INDEX_TTL_SLACK_MS,
      sessionId: family
    })
    const reply = decodeRotateRefreshTokenReply(await callRedis(() => this.redis.refreshRotate(...call)))
    switch (reply.status) {
      case 'unknown': {
        // Perhaps an older token of this family. Retired before the last rotation, so if even
        // that one is past the grace window, so is this token: theft. Within it, a client that
        // lost two races in a row; it is refused, and revokes nothing.
        const { lastRetired } = reply
        if (lastRetired === undefined || nowMs - lastRetired.rotatedAt <= rules.reuseGraceMs) return { status: 'unknown' }
        return this.precedes(presented, lastRetired.digest, lastRetired.rotations) ? await this.revokeReused(presented) : { status: 'unknown' }
      }
      // The script has already ended the session; ending it again through the session store
      // is a no-op in Redis that lets a cache in front of it drop the session at once.
      case 'reused': return await this.revokeReused(presented, reply.deviceType)
      case 'rotated':
      case 'replayed': {
        const { userIdKind, ...rotation } = reply
        return { ...rotation, userId: startedUserId(userId, userIdKind) }
      }
      default: return reply
    }
  }

  // Whether `presented` is an earlier token of the chain that led to `lastRetiredDigest`.
  private precedes (presented: TokenRef, lastRetiredDigest: string, rotations: number): boolean {
    let token = presented.token
    for (let step = 1; step < Math.min(rotations, MAX_CHAIN_STEPS); step++) {
      token = successorOf({ ...presented, token }, this.successorKey)
      if (digestOf(token) === lastRetiredDigest) return true
    }
    return false
  }

  // `deviceType`: the session's, when the script that ended it read it; else the revoke reads it.
  private async revokeReused (presented: TokenRef, deviceType?: string): Promise<RotateOutcome> {
    const ended = await this.sessions.revoke(presented.userId, presented.family, 'refresh_reused')
    return { status: 'reused', deviceType: deviceType ?? ended?.deviceType }
  }

  // The tokens live in the session hash: ending the session has already ended them.
  async sessionEnded (): Promise<void> {}
  async userSessionsEnded (): Promise<void> {}
}
