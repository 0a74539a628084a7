import type { SessionEndReason } from '../errors/api-errors.js'
import type { SessionEndListener } from '../sessions/session-service.js'
import type { SessionRecord } from '../sessions/session-store.js'
import type { UserType } from '../tokens/session-claims.js'
import type { UserId } from '../users/user-id.js'

export interface RefreshRules {
  refreshTtlMs: number
  // Whether a rotation extends the family to now + refreshTtlMs, or keeps the login's expiry.
  sliding: boolean
  // How long a rotated token still yields the same successor (two tabs, a retried request).
  reuseGraceMs: number
  // Rotations of one family closer together than this are refused (0: no minimum).
  minIntervalMs: number
  // Counted from the login; 0: no absolute lifetime. A session with its own (a device rule's)
  // is judged by that one instead.
  maxLifetimeMs: number
}

export interface TokenRef {
  token: string
  userId: UserId
  family: string
  digest: string
}

export type RotateOutcome =
  // `rotatedAt` and `expiresAt` belong to the rotation that made the successor: a replay
  // within the grace window reports the same ones, so it can hand out the same tokens.
  // `userId`: the id the session was started with (a number stays a number, see session-user-id.ts).
  // `notRemembered`: the session was started with rememberMe: false (browser-session cookies).
  | { status: 'rotated' | 'replayed', userId: UserId, userType: UserType, loginAt: number, rotatedAt: number, expiresAt: number, notRemembered?: true }
  | { status: 'too_soon', retryAfterMs: number }
  | { status: 'ended', reason: SessionEndReason }
  // A rotated token presented after the grace window: the family is revoked (refresh_reused).
  // `deviceType`: the ended session's, when its record was there to end.
  | { status: 'reused', deviceType?: string }
  // Unknown, expired, or not of this family.
  | { status: 'unknown' }

// Where refresh tokens live. A family is one session (same id); the store's part of ending a
// session comes through SessionEndListener. Every method is atomic in the store, and a store
// that cannot be reached throws a 503 error (1503), never reports an unknown token.
export interface RefreshTokenStore extends SessionEndListener {
  // Records the first token of a new session; false when that session has already ended.
  issue: (session: SessionRecord, token: { digest: string, expiresAt: number }) => Promise<boolean>
  rotate: (presented: TokenRef, successorDigest: string, nowMs: number, rules: RefreshRules) => Promise<RotateOutcome>
}
