import { AccessTokenExpiredError, accountDisabled, DeviceTypeFullError, InvalidTokenError, ReplacedTokenError, sessionEnded, type SessionEndReason } from '../errors/api-errors.js'
import { systemClock, type Clock } from '../clock.js'
import { NO_AUTH_EVENTS, type AuthEvents } from '../metrics/auth-events.js'
import { newSessionId, type SessionClaims, type UserType } from '../tokens/session-claims.js'
import type { DeviceRules } from './device-rules.js'
import type { DeviceCap, RevokeFilter, SessionRecord, SessionStore, TouchRequest, TouchResult } from './session-store.js'
import { PASSWORD_AMR } from './session-amr.js'
import { banUntil, type UserBan } from './user-ban.js'
import { utf8Prefix } from './utf8-prefix.js'
import { assertUserId, type UserId } from '../users/user-id.js'

const MS_PER_SECOND = 1000
// Redis keeps a hash compact (listpack) only while every value is at most 64 bytes
// (`hash-max-listpack-value`); one longer value doubles what the session costs.
const USER_AGENT_MAX_BYTES = 64

export interface SessionPolicy {
  // A new session's TTL, and the idle timeout when requests slide it.
  ttlSeconds: number
  // Whether every authenticated request resets the TTL (false: fixed lifetime from login).
  slideOnRequest: boolean
  // The reset is throttled: a session is extended once it has lost this much of its TTL, so
  // most requests write nothing. Also how often a cached session is touched in the background.
  slideEveryMs: number
  // Absolute lifetime counted from the login (`auth_time`); 0 turns it off.
  maxLifetimeSeconds: number
  // Whether a session's TTL stops at the absolute deadline. The refresh strategy keeps the
  // record as long as its refresh token instead, so a refresh past the deadline is told
  // `max_lifetime` rather than finding no session; every use checks the deadline anyway.
  ttlStopsAtDeadline: boolean
  // A token older than this is replaced by a fresh one for the same session; 0: never.
  reissueAfterSeconds: number
  // How long the replaced token keeps working, for requests already in flight with it.
  reissueGraceSeconds: number
  // Whether a refresh can re-create a session Redis lost (refresh tokens kept in PostgreSQL).
  refreshCanRestore: boolean
  // A login beyond this many live sessions ends the user's oldest ones; 0: no cap.
  maxSessionsPerUser: number
  // SESSION_DEVICE_RULES: per device type, a cap and its own idle TTL and absolute lifetime.
  deviceRules: DeviceRules
  // The idle TTL of a session started with rememberMe: false, unless its device rule sets one.
  notRememberedTtlSeconds: number
}

// Told when sessions end, for stores that keep session state outside the session record.
export interface SessionEndListener {
  sessionEnded: (userId: UserId, sessionId: string, reason: SessionEndReason) => Promise<void>
  userSessionsEnded: (userId: UserId, reason: SessionEndReason, filter: RevokeFilter) => Promise<void>
}

export interface AuthenticatedUser {
  userId: UserId
  userType: UserType
  sessionId: string
  // The account the session was started for; undefined for one started without (app.sessions.start).
  account: string | undefined
  // The session's device type (SESSION_DEVICE_RULES), null when it has none.
  deviceType: string | null
  // When the user last proved who they are in this session (login or re-authentication), in
  // ms since the epoch: what app.requireRecentAuth judges.
  authAt: number
  // How the user proved who they are (RFC 8176 amr): ["pwd"], ["pwd", "otp"], or what the app said.
  amr: readonly string[]
}

export interface AuthenticateOptions {
  // False: the request checks the session without keeping it alive (neither TTL nor "last seen").
  // @default true
  keepAlive?: boolean
}

export interface Authentication {
  user: AuthenticatedUser
  // The session's current token when the client should switch to it (a reissue).
  reissued?: SessionClaims
  // Started with rememberMe: false: cookies written for it end with the browser session.
  notRemembered?: boolean
}

export interface SessionStart {
  userId: UserId
  userType: UserType
  account: string
  deviceId?: string
  // What the session list shows of the device: the login's device label (see deviceLabel).
  userAgent?: string
  ip: string
  // Whose SESSION_DEVICE_RULES the session follows, if any.
  deviceType?: string
  // false: a browser session (cookies without Max-Age, SESSION_TTL_NOT_REMEMBERED). Default true.
  rememberMe?: boolean
  // Told in session.created, not stored: how the user signed in, and who started the session for them.
  authMethod?: string
  actor?: string
  // How the user proved who they are (RFC 8176 amr), stored and told in session.created; undefined: ["pwd"].
  amr?: readonly string[]
}

export interface BanInput {
  reason: string
  // When the ban lifts by itself, ms since the epoch; undefined: until lifted.
  untilMs?: number
}

// The session engine: what a login creates, what a request checks, what ends a session.
export class SessionService {
  // The longest absolute lifetime any session may have (seconds; infinite: none), by which a
  // token is refused before its session is read; the store judges each session by its own.
  private readonly longestLifetimeSeconds: number
  // Whether some device rule lets a session live longer than SESSION_MAX_LIFETIME: a token
  // without the max_lifetime claim is then held to the longer lifetime.
  private readonly rulesOutlivePolicy: boolean

  constructor (
    private readonly store: SessionStore,
    private readonly policy: SessionPolicy,
    private readonly endListener?: SessionEndListener,
    private readonly clock: Clock = systemClock,
    private readonly events: AuthEvents = NO_AUTH_EVENTS
  ) {
    this.longestLifetimeSeconds = longestLifetimeSeconds(policy)
    this.rulesOutlivePolicy = this.longestLifetimeSeconds !== lifetimeOrForever(policy.maxLifetimeSeconds)
  }

  // Read before the password is checked, and passed to start: see SessionStore.create.
  async generation (userId: UserId): Promise<string> {
    assertUserId(userId)
    return await this.store.generation(userId)
  }

  // The new session's claims, or undefined when all of the user's sessions were ended since
  // `generation` was read: the credentials this login checked may have changed meanwhile.
  // A banned user's is refused: 403 "1011".
  // A user id that is neither kind (src/users/user-id.ts) is thrown back here, as in end, endAll,
  // find and list: it comes from the caller's code, where no schema has checked it.
  async start (start: SessionStart, generation: string, nowMs = this.clock()): Promise<SessionClaims | undefined> {
    assertUserId(start.userId)
    const iat = Math.floor(nowMs / MS_PER_SECOND)
    const { rememberMe, authMethod, actor, ...stored } = start
    const lifetimes = this.lifetimesOf(start)
    const ownLifetimes = this.ownLifetimes(lifetimes)
    const claims: SessionClaims = {
      userId: start.userId,
      userType: start.userType,
      sid: newSessionId(),
      iat,
      auth_time: iat,
      ...(this.tokenNamesLifetime(ownLifetimes) ? { max_lifetime: lifetimes.maxLifetimeSeconds } : {})
    }
    const record: SessionRecord = {
      ...stored,
      sessionId: claims.sid,
      loginAt: nowMs,
      userAgent: start.userAgent === undefined ? undefined : utf8Prefix(start.userAgent, USER_AGENT_MAX_BYTES),
      tokenIat: this.policy.reissueAfterSeconds > 0 ? iat : undefined,
      ...ownLifetimes,
      notRemembered: rememberMe === false ? true : undefined
    }
    const ttlMs = this.policy.ttlStopsAtDeadline
      ? ttlMsWithin(lifetimes, claims.auth_time, nowMs)
      : this.policy.ttlSeconds * MS_PER_SECOND
    const created = await this.store.create(record, ttlMs, generation, this.policy.maxSessionsPerUser, this.deviceCapOf(start.deviceType))
    if (!created.created) {
      if (created.ban !== undefined) throw accountDisabled(banUntil(created.ban))
      if (created.deviceTypeFull === true) throw new DeviceTypeFullError(start.deviceType ?? '', this.deviceCapOf(start.deviceType)?.maxSessions ?? 0)
      return undefined
    }
    const { userId, deviceId, deviceType, ip } = start
    this.events.sessionCreated({ userId, sessionId: claims.sid, deviceId, deviceType, ip, authMethod, actor, amr: start.amr ?? PASSWORD_AMR })
    for (const reason of ['replaced', 'evicted'] as const) {
      const ended = created[reason]
      if (ended.length === 0) continue
      this.events.sessionsEnded(reason, ended.length, { userId, sessions: ended, ip })
      // Told after the fact: the sessions are already gone, this only keeps state kept elsewhere
      // (refresh tokens in PostgreSQL) from bringing them back.
      for (const { sessionId } of ended) await this.endListener?.sessionEnded(userId, sessionId, reason)
    }
    return claims
  }

  // The idle TTL and absolute lifetime a new session gets: its device rule's, else (idle TTL)
  // SESSION_TTL_NOT_REMEMBERED for rememberMe: false, else the policy's. The refresh strategy's
  // idle timeout is its refresh token's TTL, which these do not change.
  private lifetimesOf (start: SessionStart): Lifetimes {
    const rule = start.deviceType === undefined ? undefined : this.policy.deviceRules.get(start.deviceType)
    const notRememberedTtl = start.rememberMe === false ? this.policy.notRememberedTtlSeconds : undefined
    return {
      idleTtlSeconds: this.policy.ttlStopsAtDeadline ? rule?.idleTtlSeconds ?? notRememberedTtl ?? this.policy.ttlSeconds : this.policy.ttlSeconds,
      maxLifetimeSeconds: rule?.maxLifetimeSeconds ?? this.policy.maxLifetimeSeconds
    }
  }

  // Stored only where they differ from the policy's: every field costs memory in every session.
  private ownLifetimes ({ idleTtlSeconds, maxLifetimeSeconds }: Lifetimes): Pick<SessionRecord, 'idleTtlSeconds' | 'maxLifetimeSeconds'> {
    return {
      idleTtlSeconds: idleTtlSeconds === this.policy.ttlSeconds ? undefined : idleTtlSeconds,
      maxLifetimeSeconds: maxLifetimeSeconds === this.policy.maxLifetimeSeconds ? undefined : maxLifetimeSeconds
    }
  }

  // Whether a new token names its session's absolute lifetime: where it is a device rule's own,
  // and where some rule's is longer than SESSION_MAX_LIFETIME, which a token without the claim
  // is held to (sessions from before the claim existed may be of such a type).
  private tokenNamesLifetime (own: Pick<SessionRecord, 'maxLifetimeSeconds'>): boolean {
    return own.maxLifetimeSeconds !== undefined || this.rulesOutlivePolicy
  }

  private deviceCapOf (deviceType: string | undefined): DeviceCap | undefined {
    const rule = deviceType === undefined ? undefined : this.policy.deviceRules.get(deviceType)
    if (deviceType === undefined || rule?.maxSessions === undefined) return undefined
    return { deviceType, maxSessions: rule.maxSessions, refuseNew: rule.onOverflow === 'refuse_new' }
  }

  async authenticate (claims: SessionClaims, nowMs = this.clock(), options: AuthenticateOptions = {}): Promise<Authentication> {
    const request = this.touchRequest(claims, nowMs, options)
    return this.authenticationOf(claims, await this.store.touch(claims.userId, claims.sid, request))
  }

  // authenticate's answer when the store has it at hand (a near-cache hit), without a promise;
  // undefined when only authenticate can tell.
  authenticateCached (claims: SessionClaims, nowMs = this.clock(), options: AuthenticateOptions = {}): Authentication | undefined {
    if (this.store.touchCached === undefined) return undefined
    const touched = this.store.touchCached(claims.userId, claims.sid, this.touchRequest(claims, nowMs, options))
    return touched === undefined ? undefined : this.authenticationOf(claims, touched)
  }

  private touchRequest (claims: SessionClaims, nowMs: number, { keepAlive = true }: AuthenticateOptions): TouchRequest {
    // The deadline is read from the token itself: no Redis call to refuse an old token. A token
    // that names its session's own lifetime (a device rule's) is held to it, also once Redis has
    // let the key go at that deadline; any other to the longest lifetime a session may have.
    const lifetimeSeconds = claims.max_lifetime === undefined ? this.longestLifetimeSeconds : lifetimeOrForever(claims.max_lifetime)
    if ((claims.auth_time + lifetimeSeconds) * MS_PER_SECOND <= nowMs) throw sessionEnded('max_lifetime')
    // Below 0 only past the policy's deadline, for a session a device rule lets live longer:
    // the store judges it by its own lifetime.
    const ttlMs = Math.max(0, this.ttlMsFor(claims.auth_time, nowMs))
    return {
      loginTimeSeconds: claims.auth_time,
      slides: this.policy.slideOnRequest,
      ttlStopsAtDeadline: this.policy.ttlStopsAtDeadline,
      policyIdleTtlSeconds: this.policy.ttlSeconds,
      policyMaxLifetimeSeconds: this.policy.maxLifetimeSeconds,
      ttlMs: this.policy.slideOnRequest ? ttlMs : 0,
      ttlIsDeadline: ttlMs < this.policy.ttlSeconds * MS_PER_SECOND,
      nowMs,
      tokenIat: claims.iat,
      reissueAfterSeconds: this.policy.reissueAfterSeconds,
      reissueGraceMs: this.policy.reissueGraceSeconds * MS_PER_SECOND,
      slideEveryMs: this.policy.slideEveryMs,
      keepAlive
    }
  }

  private authenticationOf (claims: SessionClaims, touched: TouchResult): Authentication {
    if (touched.status === 'ended') {
      // No record and no tombstone, where refresh tokens outlive Redis: Redis may have lost the
      // session, and a refresh can bring it back. "Refresh and retry", not "log in again".
      if (touched.reason === 'expired' && this.policy.refreshCanRestore) throw new AccessTokenExpiredError()
      throw sessionEnded(touched.reason)
    }
    if (touched.status === 'replaced') throw new ReplacedTokenError()
    // The role is the session's, set from the database at login: a token that claims another
    // (signed with a leaked key, or issued before a demotion) proves nothing about it.
    if (touched.userType !== claims.userType) throw new InvalidTokenError()
    // A session started without an account stores an empty one.
    const user = {
      userId: claims.userId,
      userType: claims.userType,
      sessionId: claims.sid,
      account: touched.account === '' ? undefined : touched.account,
      deviceType: touched.deviceType ?? null,
      authAt: touched.authAt,
      amr: touched.amr
    }
    const notRemembered = touched.notRemembered === true ? true : undefined
    if (touched.reissuedIat === undefined) return { user, notRemembered, reissued: undefined }
    // Same session, same login time: only `iat` moves, so the absolute lifetime does not.
    const { userId, userType, sid, auth_time: authTime, max_lifetime: maxLifetime } = claims
    const reissued: SessionClaims = { userId, userType, sid, iat: touched.reissuedIat, auth_time: authTime, ...(maxLifetime === undefined ? {} : { max_lifetime: maxLifetime }) }
    return { user, notRemembered, reissued }
  }

  // The listener hears of it before the session ends, so that a failure there leaves everything
  // as it was (the client retries), and again after, for state written in between (a login's
  // refresh token stored while its session was being ended). `ip`: the client that asked, if any.
  async end (userId: UserId, sessionId: string, reason: SessionEndReason, ip?: string, actor?: string): Promise<boolean> {
    assertUserId(userId)
    await this.endListener?.sessionEnded(userId, sessionId, reason)
    const ended = await this.store.revoke(userId, sessionId, reason)
    if (ended !== undefined) this.events.sessionsEnded(reason, 1, { userId, sessions: [ended], ip, actor })
    await this.endListener?.sessionEnded(userId, sessionId, reason)
    return ended !== undefined
  }

  // `actor`: who ends them for the user (an admin, the CLI), told in the session events.
  async endAll (userId: UserId, reason: SessionEndReason, filter: RevokeFilter = {}, ip?: string, actor?: string): Promise<number> {
    assertUserId(userId)
    await this.endListener?.userSessionsEnded(userId, reason, filter)
    const ended = await this.store.revokeAll(userId, reason, filter)
    if (ended.length > 0) this.events.sessionsEnded(reason, ended.length, { userId, sessions: ended, ip, actor })
    await this.endListener?.userSessionsEnded(userId, reason, filter)
    return ended.length
  }

  // A re-authentication (a password given again, an app's own second factor): the session's
  // authAt becomes now. Answers it; an ended session answers 1002 with its reason.
  async markAuthenticated (userId: UserId, sessionId: string, nowMs = this.clock()): Promise<number> {
    assertUserId(userId)
    const marked = await this.store.markAuthenticated(userId, sessionId, nowMs)
    if (marked.status === 'ended') throw sessionEnded(marked.reason)
    return nowMs
  }

  // The ban is stored first, so that no login after this point starts a session; then every
  // session the user has ends, reason `banned`, each one a login racing the ban stored included
  // (it is in the index before the revoke-all walks it). Answers how many ended.
  async ban (userId: UserId, { reason, untilMs }: BanInput, ip?: string, actor?: string, nowMs = this.clock()): Promise<number> {
    assertUserId(userId)
    const ban: UserBan = { reason, untilMs, bannedAtMs: nowMs, actor }
    await this.store.ban(userId, ban, untilMs === undefined ? undefined : untilMs - nowMs)
    this.events.userBanned({ userId, reason, ip, actor })
    return await this.endAll(userId, 'banned', {}, ip, actor)
  }

  // Sessions the ban ended stay ended. False when the user was not banned.
  async unban (userId: UserId, ip?: string, actor?: string): Promise<boolean> {
    assertUserId(userId)
    const lifted = await this.store.unban(userId)
    if (lifted) this.events.userUnbanned({ userId, ip, actor })
    return lifted
  }

  async findBan (userId: UserId): Promise<UserBan | undefined> {
    assertUserId(userId)
    return await this.store.findBan(userId)
  }

  async findBans (userIds: readonly UserId[]): Promise<Array<UserBan | undefined>> {
    for (const userId of userIds) assertUserId(userId)
    return await this.store.findBans(userIds)
  }

  async find (userId: UserId, sessionId: string): Promise<SessionRecord | undefined> {
    assertUserId(userId)
    return await this.store.find(userId, sessionId)
  }

  // Sessions past their absolute lifetime are over even while their record lingers.
  async list (userId: UserId, nowMs = this.clock()): Promise<SessionRecord[]> {
    assertUserId(userId)
    const records = await this.store.list(userId)
    return records.filter((record) => {
      const maxLifetimeSeconds = record.maxLifetimeSeconds ?? this.policy.maxLifetimeSeconds
      // Counted from the login second, as tokens count it (auth_time).
      return maxLifetimeSeconds === 0 || (Math.floor(record.loginAt / MS_PER_SECOND) + maxLifetimeSeconds) * MS_PER_SECOND > nowMs
    })
  }

  async ping (): Promise<void> {
    await this.store.ping()
  }

  // The TTL, capped so a session never outlives its absolute deadline.
  private ttlMsFor (loginTimeSeconds: number, nowMs: number): number {
    return ttlMsWithin({ idleTtlSeconds: this.policy.ttlSeconds, maxLifetimeSeconds: this.policy.maxLifetimeSeconds }, loginTimeSeconds, nowMs)
  }
}

interface Lifetimes {
  idleTtlSeconds: number
  // 0: none.
  maxLifetimeSeconds: number
}

// The idle TTL, capped so a session never outlives its absolute deadline.
function ttlMsWithin ({ idleTtlSeconds, maxLifetimeSeconds }: Lifetimes, loginTimeSeconds: number, nowMs: number): number {
  const ttlMs = idleTtlSeconds * MS_PER_SECOND
  if (maxLifetimeSeconds === 0) return ttlMs
  return Math.min(ttlMs, (loginTimeSeconds + maxLifetimeSeconds) * MS_PER_SECOND - nowMs)
}

// An absolute lifetime as configured (seconds, 0: none), with none as infinite, to compare.
function lifetimeOrForever (seconds: number): number {
  return seconds === 0 ? Number.POSITIVE_INFINITY : seconds
}

// The policy's absolute lifetime, or a device rule's longer one (infinite: some session has none).
function longestLifetimeSeconds ({ maxLifetimeSeconds, deviceRules }: SessionPolicy): number {
  const lifetimes = [maxLifetimeSeconds, ...[...deviceRules.values()].map((rule) => rule.maxLifetimeSeconds ?? maxLifetimeSeconds)]
  return Math.max(...lifetimes.map(lifetimeOrForever))
}
