import type { SessionEndReason } from '../errors/api-errors.js'
import type { SqlDatabase, SqlQueryable } from '../db/sql-database.js'
import type { RevokeFilter, SessionRecord, SessionStore } from '../sessions/session-store.js'
import type { UserType } from '../tokens/session-claims.js'
import type { RefreshRules, RefreshTokenStore, RotateOutcome, TokenRef } from './refresh-token-store.js'
import { userLockKey } from '../db/user-lock-key.js'
import { userIdKey, type UserId } from '../users/user-id.js'

// pg returns bigint columns as strings: the times are converted where they are read.
interface TokenRow {
  family: string
  // The user id's key form (userIdKey), and which kind the session was started with.
  user_id: string
  user_id_is_string: boolean
  user_type: UserType
  account: string
  device_id: string | null
  user_agent: string | null
  ip: string
  login_at: string
  issued_at: string
  expires_at: string
  rotated_at: string | null
  revoked_reason: string | null
  // The session's device type and own lifetimes in seconds (SESSION_DEVICE_RULES), null where it has none.
  device_type: string | null
  idle_ttl_seconds: string | null
  max_lifetime_seconds: string | null
  not_remembered: boolean
}

// The advisory lock space of refresh-token users (two-int keys never meet the migration's bigint key).
const USER_LOCK_CLASS = 7_301_989
const MS_PER_SECOND = 1000

type TokenOutcome = RotateOutcome | { status: 'resume', session: SessionRecord, outcome: RotateOutcome & { status: 'rotated' | 'replayed' } }

function userIdOf (row: TokenRow): UserId {
  return row.user_id_is_string ? row.user_id : Number(row.user_id)
}

function sessionOf (row: TokenRow): SessionRecord {
  return {
    sessionId: row.family,
    userId: userIdOf(row),
    userType: row.user_type,
    account: row.account,
    loginAt: Number(row.login_at),
    deviceId: row.device_id ?? undefined,
    userAgent: row.user_agent ?? undefined,
    ip: row.ip,
    deviceType: row.device_type ?? undefined,
    idleTtlSeconds: row.idle_ttl_seconds === null ? undefined : Number(row.idle_ttl_seconds),
    maxLifetimeSeconds: row.max_lifetime_seconds === null ? undefined : Number(row.max_lifetime_seconds),
    notRemembered: row.not_remembered ? true : undefined
  }
}

// A session's own absolute lifetime (a device rule's) bounds its refresh tokens in place of the policy's.
function maxLifetimeMsOf (row: TokenRow, rules: RefreshRules): number {
  return row.max_lifetime_seconds === null ? rules.maxLifetimeMs : Number(row.max_lifetime_seconds) * MS_PER_SECOND
}

function rememberedOf (row: TokenRow): { notRemembered?: true } {
  return row.not_remembered ? { notRemembered: true } : {}
}

// Refresh tokens in PostgreSQL (REFRESH_STORE=postgres), for deployments whose Redis keeps
// nothing across restarts: a valid refresh token then brings its session back into Redis.
// Every rotation is one transaction holding the presented token's row lock, so two racing
// requests see each other's rotation.
export class PostgresRefreshTokenStore implements RefreshTokenStore {
  constructor (private readonly db: SqlDatabase, private readonly sessions: SessionStore) {}

  async issue (session: SessionRecord, token: { digest: string, expiresAt: number }): Promise<boolean> {
    // Stored first, then the session checked: a revoke-all landing in between finds the row
    // (it writes here after Redis), one landing before has already removed the session.
    await this.insert(this.db, token.digest, session, session.loginAt, token.expiresAt)
    const stored = await this.sessions.find(session.userId, session.sessionId)
    if (stored !== undefined) {
      await this.keepSessionRules(token.digest, stored)
      return true
    }
    await this.db.query('DELETE FROM refresh_tokens WHERE digest = $1', [token.digest])
    return false
  }

  // The rules the session service gave the session (its device type's, rememberMe: false) are
  // known from what it stored: kept with the token, so that a rotation bounds it by its own
  // lifetime, and a session brought back into an empty Redis keeps them. Its client has not
  // received the token yet, so no rotation can run in between.
  private async keepSessionRules (digest: string, stored: SessionRecord): Promise<void> {
    const { deviceType, idleTtlSeconds, maxLifetimeSeconds, notRemembered } = stored
    if (deviceType === undefined && idleTtlSeconds === undefined && maxLifetimeSeconds === undefined && notRemembered !== true) return
    await this.db.query(
      'UPDATE refresh_tokens SET device_type = $2, idle_ttl_seconds = $3, max_lifetime_seconds = $4, not_remembered = $5 WHERE digest = $1',
      [digest, deviceType ?? null, idleTtlSeconds ?? null, maxLifetimeSeconds ?? null, notRemembered === true]
    )
  }

  async rotate (presented: TokenRef, successorDigest: string, nowMs: number, rules: RefreshRules): Promise<RotateOutcome> {
    // Redis is called inside the transaction: if it fails, nothing is rotated, so the client's
    // retry with the same token is a plain refresh, not a reuse that would revoke the session.
    const outcome = await this.db.transaction(async (tx) => {
      // Shared per user: rotations run side by side, a revocation waits for them (and they for it).
      await tx.query('SELECT pg_advisory_xact_lock_shared($1, $2)', [USER_LOCK_CLASS, userLockKey(presented.userId)])
      const decided = await this.decide(tx, presented, successorDigest, nowMs, rules)
      if (decided.status === 'reused') {
        const ended = await this.sessions.revoke(presented.userId, presented.family, 'refresh_reused')
        return { ...decided, deviceType: ended?.deviceType }
      }
      if (decided.status !== 'resume') return decided
      // The session must still exist in Redis (or be brought back if Redis lost it); a session
      // ended there (logout, admin) ends its refresh tokens here too.
      const resumed = await this.sessions.resume(decided.session, decided.outcome.expiresAt - nowMs)
      if (resumed.status === 'alive') return decided.outcome
      await this.revokeFamily(tx, presented.userId, presented.family, resumed.reason, nowMs)
      return { status: 'ended', reason: resumed.reason } as const
    })
    // Under the shared lock, the reuse's revocation cannot see a successor that a concurrent
    // rotation of the family's current token is inserting; revoked again once that has committed.
    if (outcome.status === 'reused') await this.sessionEnded(presented.userId, presented.family, 'refresh_reused')
    return outcome
  }

  async sessionEnded (userId: UserId, family: string, reason: SessionEndReason): Promise<void> {
    await this.whileNoRotationRuns(userId, async (tx) => await this.revokeFamily(tx, userId, family, reason, Date.now()))
  }

  async userSessionsEnded (userId: UserId, reason: SessionEndReason, filter: RevokeFilter): Promise<void> {
    await this.whileNoRotationRuns(userId, async (tx) => await tx.query(
      `UPDATE refresh_tokens SET revoked_at = $1, revoked_reason = $2
        WHERE user_id = $3 AND revoked_at IS NULL AND ($4::text IS NULL OR device_id = $4)
          AND ($5::text IS NULL OR family <> $5)`,
      [Date.now(), reason, userIdKey(userId), filter.deviceId ?? null, filter.exceptSessionId ?? null]
    ))
  }

  // Without the lock, a revocation waiting on a rotation's row lock would update the rows it
  // saw when it began, and miss the successor that rotation inserts: a live token of an ended
  // session, which a Redis that lost its tombstones would let back in.
  private async whileNoRotationRuns (userId: UserId, work: (tx: SqlQueryable) => Promise<unknown>): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1, $2)', [USER_LOCK_CLASS, userLockKey(userId)])
      await work(tx)
    })
  }

  // Expired tokens are of no further use, not even for spotting a reuse.
  async deleteExpired (nowMs = Date.now()): Promise<number> {
    const deleted = await this.db.query<{ digest: string }>('DELETE FROM refresh_tokens WHERE expires_at <= $1 RETURNING digest', [nowMs])
    return deleted.length
  }

  private async decide (tx: SqlQueryable, presented: TokenRef, successorDigest: string, nowMs: number, rules: RefreshRules): Promise<TokenOutcome> {
    const [row] = await tx.query<TokenRow>('SELECT * FROM refresh_tokens WHERE digest = $1 FOR UPDATE', [presented.digest])
    if (row === undefined || row.user_id !== userIdKey(presented.userId) || row.family !== presented.family) return { status: 'unknown' }
    if (row.revoked_reason !== null) return { status: 'ended', reason: row.revoked_reason as SessionEndReason }
    const loginAt = Number(row.login_at)
    const expiresAt = Number(row.expires_at)
    const maxLifetimeMs = maxLifetimeMsOf(row, rules)
    if (maxLifetimeMs > 0 && nowMs >= loginAt + maxLifetimeMs) return { status: 'ended', reason: 'max_lifetime' }
    if (row.rotated_at !== null) {
      const rotatedAt = Number(row.rotated_at)
      if (nowMs - rotatedAt > rules.reuseGraceMs) {
        // A retired token after the grace window: one of its two holders is a thief.
        await this.revokeFamily(tx, presented.userId, presented.family, 'refresh_reused', nowMs)
        return { status: 'reused' }
      }
      const [successor] = await tx.query<{ expires_at: string, rotated_at: string | null }>(
        'SELECT expires_at, rotated_at FROM refresh_tokens WHERE digest = $1', [successorDigest])
      // The successor was rotated too: this client lost two races in a row. Handing it a retired
      // token would only lead to a reuse later; it is refused and revokes nothing.
      if (successor === undefined || successor.rotated_at !== null) return { status: 'unknown' }
      const outcome = {
        status: 'replayed', userId: userIdOf(row), userType: row.user_type, loginAt, rotatedAt, expiresAt: Number(successor.expires_at), ...rememberedOf(row)
      } as const
      return { status: 'resume', session: sessionOf(row), outcome }
    }
    if (expiresAt <= nowMs) return { status: 'unknown' }
    const sinceIssued = nowMs - Number(row.issued_at)
    if (rules.minIntervalMs > 0 && sinceIssued < rules.minIntervalMs) return { status: 'too_soon', retryAfterMs: rules.minIntervalMs - sinceIssued }
    const successorExpiresAt = rules.sliding ? nowMs + rules.refreshTtlMs : expiresAt
    await tx.query('UPDATE refresh_tokens SET rotated_at = $1 WHERE digest = $2', [nowMs, presented.digest])
    const session = sessionOf(row)
    await this.insert(tx, successorDigest, session, nowMs, successorExpiresAt)
    const outcome = {
      status: 'rotated', userId: session.userId, userType: row.user_type, loginAt, rotatedAt: nowMs, expiresAt: successorExpiresAt, ...rememberedOf(row)
    } as const
    return { status: 'resume', session, outcome }
  }

  private async revokeFamily (db: SqlQueryable, userId: UserId, family: string, reason: SessionEndReason, nowMs: number): Promise<void> {
    await db.query(
      'UPDATE refresh_tokens SET revoked_at = $1, revoked_reason = $2 WHERE family = $3 AND user_id = $4 AND revoked_at IS NULL',
      [nowMs, reason, family, userIdKey(userId)]
    )
  }

  private async insert (db: SqlQueryable, digest: string, session: SessionRecord, issuedAt: number, expiresAt: number): Promise<void> {
    await db.query(
      `INSERT INTO refresh_tokens (digest, family, user_id, user_type, account, device_id, user_agent, ip, login_at, issued_at, expires_at,
         user_id_is_string, device_type, idle_ttl_seconds, max_lifetime_seconds, not_remembered)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
      [digest, session.sessionId, userIdKey(session.userId), session.userType, session.account, session.deviceId ?? null,
        session.userAgent ?? null, session.ip, session.loginAt, issuedAt, expiresAt, typeof session.userId === 'string',
        session.deviceType ?? null, session.idleTtlSeconds ?? null, session.maxLifetimeSeconds ?? null, session.notRemembered === true]
    )
  }
}
