import { systemClock, type Clock } from '../clock.js'
import type { SessionEndReason } from '../errors/api-errors.js'
import { NO_AUTH_EVENTS, type AuthEvents, type RefreshOutcome } from '../metrics/auth-events.js'
import type { SessionRecord } from '../sessions/session-store.js'
import type { UserBan } from '../sessions/user-ban.js'
import type { SessionClaims } from '../tokens/session-claims.js'
import type { UserId } from '../users/user-id.js'
import type { RefreshRules, RefreshTokenStore, RotateOutcome } from './refresh-token-store.js'
import { digestOf, newRefreshToken, successorOf, type PresentedRefreshToken } from './refresh-token.js'

const MS_PER_SECOND = 1000

export interface RefreshPolicy {
  refreshTtlSeconds: number
  // Whether a refresh extends the family's expiry (SESSION_SLIDING).
  sliding: boolean
  reuseGraceSeconds: number
  minIntervalSeconds: number
  maxLifetimeSeconds: number
}

export interface IssuedRefreshToken {
  refreshToken: string
  // ms since the epoch
  expiresAt: number
}

export type RefreshAttempt =
  // `claims` for the new access token: its iat is the rotation's time, so a replay within the
  // grace window signs the very same token.
  // `notRemembered`: the session was started with rememberMe: false, so its cookies stay browser-session ones.
  | { status: 'refreshed', claims: SessionClaims, refresh: IssuedRefreshToken, notRemembered?: true }
  | { status: 'too_soon', retryAfterMs: number }
  | { status: 'ended', reason: SessionEndReason }
  // The user is banned (403 "1011"): logging in again will not help either, until the ban lifts.
  | { status: 'banned', ban: UserBan }
  // Unknown, expired or reused: the client must log in again.
  | { status: 'invalid' }

// Where a refresh learns of a ban (the session engine).
export interface BanLookup {
  findBan: (userId: UserId) => Promise<UserBan | undefined>
}

const OUTCOME_OF_STATUS: Record<RotateOutcome['status'], RefreshOutcome> = {
  rotated: 'rotated',
  replayed: 'replayed',
  reused: 'reused',
  too_soon: 'too_soon',
  ended: 'ended',
  unknown: 'invalid'
}

function seconds (ms: number): number {
  return Math.floor(ms / MS_PER_SECOND)
}

// The policy in the milliseconds a store works in.
export function refreshRulesOf (policy: RefreshPolicy): RefreshRules {
  return {
    refreshTtlMs: policy.refreshTtlSeconds * MS_PER_SECOND,
    sliding: policy.sliding,
    reuseGraceMs: policy.reuseGraceSeconds * MS_PER_SECOND,
    minIntervalMs: policy.minIntervalSeconds * MS_PER_SECOND,
    maxLifetimeMs: policy.maxLifetimeSeconds * MS_PER_SECOND
  }
}

// The refresh strategy: refresh tokens issued at login and rotated on every refresh.
export class RefreshService {
  private readonly rules: RefreshRules

  constructor (
    private readonly store: RefreshTokenStore,
    // Keys the derivation of successor tokens (see successorOf).
    private readonly successorKey: Buffer,
    policy: RefreshPolicy,
    private readonly clock: Clock = systemClock,
    private readonly events: AuthEvents = NO_AUTH_EVENTS,
    private readonly bans?: BanLookup
  ) {
    this.rules = refreshRulesOf(policy)
  }

  // The first refresh token of a session just started; undefined if it has ended meanwhile.
  async issue (session: SessionRecord): Promise<IssuedRefreshToken | undefined> {
    const refreshToken = newRefreshToken(session.userId, session.sessionId)
    const expiresAt = session.loginAt + this.rules.refreshTtlMs
    const issued = await this.store.issue(session, { digest: digestOf(refreshToken), expiresAt })
    return issued ? { refreshToken, expiresAt } : undefined
  }

  // `ip`: the client that presented the token.
  async refresh (presented: PresentedRefreshToken, nowMs = this.clock(), ip?: string): Promise<RefreshAttempt> {
    const successor = successorOf(presented, this.successorKey)
    const outcome = await this.store.rotate(presented, digestOf(successor), nowMs, this.rules)
    const { family: sessionId } = presented
    // The store knows the id the session was started with; the token's text, only its key form.
    const userId = 'userId' in outcome ? outcome.userId : presented.userId
    this.events.refreshAttempted(OUTCOME_OF_STATUS[outcome.status], { userId, sessionId, ip })
    // The store revoked the session the reused token belonged to.
    if (outcome.status === 'reused') this.events.sessionsEnded('refresh_reused', 1, { userId, sessions: [{ sessionId, deviceType: outcome.deviceType }], ip })
    switch (outcome.status) {
      case 'rotated':
      case 'replayed':
        return {
          status: 'refreshed',
          claims: {
            userId: outcome.userId,
            userType: outcome.userType,
            sid: presented.family,
            iat: seconds(outcome.rotatedAt),
            auth_time: seconds(outcome.loginAt)
          },
          refresh: { refreshToken: successor, expiresAt: outcome.expiresAt },
          ...(outcome.notRemembered === true ? { notRemembered: true } : {})
        }
      case 'too_soon':
        return outcome
      case 'ended': {
        // A ban ends every session, so a banned user's refresh finds its session ended: asked
        // only then, it costs the refreshes that succeed nothing.
        const ban = await this.bans?.findBan(userId)
        return ban === undefined ? outcome : { status: 'banned', ban }
      }
      default:
        return { status: 'invalid' }
    }
  }
}
