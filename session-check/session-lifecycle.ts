import createError from '@fastify/error'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { IssuedSessionBody, SessionViewBody, UserBanBody } from '../contract/api-contract.js'
import type { Clock } from '../src/clock.js'
import { InvalidInputError, type SessionEndReason } from '../src/errors/api-errors.js'
import type { IssuedRefreshToken, RefreshService } from '../src/refresh/refresh-service.js'
import type { SessionService, SessionStart } from '../src/sessions/session-service.js'
import { toSessionView } from '../src/sessions/session-view.js'
import { toUserBanBody } from '../src/sessions/user-ban.js'
import { isSessionId } from '../src/tokens/session-claims.js'
import type { SessionTokenCodec } from '../src/tokens/session-token-codec.js'
import { isUserId, USER_ID_RULE, type UserId } from '../src/users/user-id.js'
import { banInputOf, type SessionBanOptions } from './ban-input.js'
import { issuedSessionBody, refreshCookieOf } from './issued-session.js'
import type { SessionCookies } from './session-cookies.js'
import { sessionStartOf, type SessionStartInput } from './session-start-input.js'
import { RENEWED_TOKEN_HEADER } from './token-transport.js'

export type { SessionStartInput } from './session-start-input.js'
export type { SessionBanOptions } from './ban-input.js'

/** Why the app's code ends sessions; a session ended so answers `1002` with this reason everywhere. */
export const SESSION_ENDING_REASONS = ['logout', 'logout_all', 'logout_others', 'password_changed', 'revoked', 'admin', 'second_factor_changed', 'password_reset'] as const
export type SessionEndingReason = typeof SESSION_ENDING_REASONS[number]

export interface SessionStartContext {
  /** The request that signs the user in: the session's IP and device label, unless the input gives them. */
  request?: FastifyRequest
  /** Its reply: the session cookies are set on it, as the auth server's login sets them. */
  reply?: FastifyReply
  /**
   * `app.sessions.generation(userId)`, read before the credentials were checked: `start` then
   * refuses (GenerationMovedError) if every session of the user was ended since, for example
   * by a password change racing this sign-in, so the check can be made again.
   */
  generation?: string
  /** Who starts the session for the user (`service:billing`), told in `session.created`. */
  actor?: string
}

export interface SessionEndOptions {
  /** @default 'revoked' */
  reason?: SessionEndingReason
  /** The client that asked, told in `session.ended`. */
  ip?: string
  /** Who ends them for the user (`admin:7`, `service:billing`), told in `session.ended`. */
  actor?: string
}

export interface SessionEndAllOptions extends SessionEndOptions {
  /** A session to keep: the caller's own, which signs the others out. */
  except?: string
  /** Only the sessions started with this device id. */
  deviceId?: string
}

export interface SessionUnbanOptions {
  /** The client that asked, told in `user.unbanned`. */
  ip?: string
  /** Who lifts the ban, told in `user.unbanned`. */
  actor?: string
}

export interface SessionListOptions {
  /** The session shown with `current: true`. */
  currentSessionId?: string
}

export interface SessionLifecycle {
  /** Starts a session, exactly as `POST /auth/login` does, and answers what login answers. */
  start: (input: SessionStartInput, context?: SessionStartContext) => Promise<IssuedSessionBody>
  /** Ends one session; false if it had ended already. */
  end: (userId: UserId, sessionId: string, options?: SessionEndOptions) => Promise<boolean>
  /** Ends every session of the user (their refresh tokens too); answers how many ended. */
  endAll: (userId: UserId, options?: SessionEndAllOptions) => Promise<number>
  /** The user's sessions as `GET /auth/sessions` shows them, newest first. */
  list: (userId: UserId, options?: SessionListOptions) => Promise<SessionViewBody[]>
  /** The user's session generation; see SessionStartContext.generation. */
  generation: (userId: UserId) => Promise<string>
  /**
   * The user just proved who they are again in this session, by a factor of the app's own (a
   * one-time code, a passkey): its `authAt` becomes now, as `POST /auth/reauthenticate` makes it,
   * and `requireRecentAuth` lets it through. Answers the new `authAt` (ms since the epoch); an
   * ended session throws the 1002 error with its reason. Every instance's near-cache sees it at once.
   */
  markAuthenticated: (userId: UserId, sessionId: string) => Promise<number>
  /**
   * Bans the user: every session ends at once with reason `banned` (on every instance), and
   * `start`, logins and refreshes answer 403 `"1011"` until `until`, or until `unban`. A ban
   * replaces an earlier one. Answers how many sessions ended.
   */
  ban: (userId: UserId, options: SessionBanOptions) => Promise<number>
  /** Lifts the user's ban; the sessions it ended stay ended. False when there was none. */
  unban: (userId: UserId, options?: SessionUnbanOptions) => Promise<boolean>
  /** The user's ban as `GET /admin/users/:userId/ban` shows it. */
  findBan: (userId: UserId) => Promise<UserBanBody>
  /**
   * The bans of several users, in their order, each as `findBan` shows it: read together (one
   * round trip on one Redis), for a page of the app's user list.
   */
  findBans: (userIds: readonly UserId[]) => Promise<UserBanBody[]>
}

export const GenerationMovedError = createError(
  'TSA_SESSION_GENERATION_MOVED',
  "Every session of this user was ended after the generation was read: check the user's credentials again",
  409
)
export const SessionLifecycleUnavailableError = createError<[string]>('TSA_SESSIONS_UNAVAILABLE', '%s', 500)

// Sessions may still be ended while the start of new ones is refused (public keys only).
export interface LifecycleRefusals {
  start?: string
  end?: string
}

export interface SessionLifecycleParts {
  engine: SessionService
  refreshTokens: RefreshService | null
  tokens: SessionTokenCodec
  cookies: SessionCookies
  accessTokenTtlSeconds: number
  clock: Clock
  refusals: LifecycleRefusals
}

const MS_PER_SECOND = 1000
// A concurrent end-all landing between reading the generation and creating the session: retried.
const START_ATTEMPTS = 3

function checkedUserId (userId: UserId): UserId {
  if (!isUserId(userId)) throw new InvalidInputError(`userId must be ${USER_ID_RULE}`)
  return userId
}

function checkedReason (reason: string): SessionEndReason {
  if (!(SESSION_ENDING_REASONS as readonly string[]).includes(reason)) {
    throw new InvalidInputError(`reason must be one of ${SESSION_ENDING_REASONS.join(', ')}`)
  }
  return reason as SessionEndingReason
}

// The session lifecycle the app's code and this server's routes share: one path for every login.
export function sessionLifecycle (parts: SessionLifecycleParts): SessionLifecycle {
  const { engine, refreshTokens, tokens, cookies, clock, refusals } = parts

  function assertAllowed (refusal: string | undefined): void {
    if (refusal !== undefined) throw new SessionLifecycleUnavailableError(refusal)
  }

  // Undefined when the user's sessions were all ended since `generation` was read.
  async function startOnce (start: SessionStart, generation: string, reply: FastifyReply | undefined): Promise<IssuedSessionBody | undefined> {
    const claims = await engine.start(start, generation)
    if (claims === undefined) return undefined
    let refresh: IssuedRefreshToken | undefined
    if (refreshTokens !== null) {
      refresh = await refreshTokens.issue({ ...start, sessionId: claims.sid, loginAt: claims.iat * MS_PER_SECOND })
      // Ended in the milliseconds since it started: as if the generation had moved.
      if (refresh === undefined) return undefined
    }
    const token = tokens.sign(claims)
    const nowMs = clock()
    if (reply !== undefined) {
      // A new session replaces the one a reissue was for: its token must not reach the client.
      reply.removeHeader(RENEWED_TOKEN_HEADER)
      cookies.setSession(reply, token, start.account === '' ? undefined : start.account, refreshCookieOf(refresh, nowMs), start.rememberMe !== false)
    }
    return issuedSessionBody(token, claims, refresh, parts.accessTokenTtlSeconds, nowMs)
  }

  return {
    async start (input, context = {}) {
      assertAllowed(refusals.start)
      const start = { ...sessionStartOf(input, context.request), actor: context.actor }
      for (let attempt = 1; ; attempt++) {
        const generation = context.generation ?? await engine.generation(start.userId)
        const issued = await startOnce(start, generation, context.reply)
        if (issued !== undefined) return issued
        if (context.generation !== undefined || attempt === START_ATTEMPTS) throw new GenerationMovedError()
      }
    },

    async end (userId, sessionId, { reason = 'revoked', ip, actor } = {}) {
      assertAllowed(refusals.end)
      // An id no session could have (the schemas of the HTTP routes refuse it) names none.
      if (!isSessionId(sessionId)) return false
      return await engine.end(checkedUserId(userId), sessionId, checkedReason(reason), ip, actor)
    },

    async endAll (userId, { reason = 'revoked', except, deviceId, ip, actor } = {}) {
      assertAllowed(refusals.end)
      return await engine.endAll(checkedUserId(userId), checkedReason(reason), { exceptSessionId: except, deviceId }, ip, actor)
    },

    async list (userId, { currentSessionId } = {}) {
      const records = await engine.list(checkedUserId(userId))
      return records.map((record) => toSessionView(record, currentSessionId))
    },

    async generation (userId) {
      return await engine.generation(checkedUserId(userId))
    },

    async markAuthenticated (userId, sessionId) {
      if (!isSessionId(sessionId)) throw new InvalidInputError('sessionId is not the id of a session')
      return await engine.markAuthenticated(checkedUserId(userId), sessionId)
    },

    // Refused where ending sessions is (their refresh tokens live in a database this service lacks).
    async ban (userId, options) {
      assertAllowed(refusals.end)
      const checked = checkedUserId(userId)
      return await engine.ban(checked, banInputOf(options, clock()), options.ip, options.actor)
    },

    async unban (userId, { ip, actor } = {}) {
      return await engine.unban(checkedUserId(userId), ip, actor)
    },

    async findBan (userId) {
      return toUserBanBody(await engine.findBan(checkedUserId(userId)))
    },

    async findBans (userIds) {
      return (await engine.findBans(userIds.map(checkedUserId))).map(toUserBanBody)
    }
  }
}
