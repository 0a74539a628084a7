// @token-session-auth/fastify: the auth server's session check, for any Fastify service that
// shares its Redis and secret. The auth server registers this same plugin for its own routes.
import fastifyCookie from '@fastify/cookie'
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction, preHandlerHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import { systemClock, type Clock } from '../src/clock.js'
import type { EnvSource } from '../src/config/config-error.js'
import { checkedSessionCheckSettings, sessionCheckSettings, type SessionCheckSettingOptions, type SessionCheckSettings } from '../src/config/session-check-settings.js'
import { ForbiddenError, InvalidInputError, InvalidTokenError, recentAuthRequired } from '../src/errors/api-errors.js'
import { apiErrorAnswer } from '../src/errors/error-body.js'
import type { SqlDatabase } from '../src/db/sql-database.js'
import type { AuthEvents } from '../src/metrics/auth-events.js'
import type { RedisClient } from '../src/redis/redis-client.js'
import type { RefreshService } from '../src/refresh/refresh-service.js'
import type { RefreshTokenStore } from '../src/refresh/refresh-token-store.js'
import { closeRedis, openResilientRedis } from '../src/redis/resilient-connection.js'
import { RedisSessionStore } from '../src/sessions/redis-session-store.js'
import type { AuthenticateOptions, Authentication, AuthenticatedUser } from '../src/sessions/session-service.js'
import type { SessionStore } from '../src/sessions/session-store.js'
import { CSRF_HEADER, hasCsrfProof } from '../src/security/csrf.js'
import type { SessionClaims } from '../src/tokens/session-claims.js'
import { sessionTokenCodec, type SessionTokenCodec } from '../src/tokens/session-token-codec.js'
import { underscoreIdentityHeader } from './identity-headers.js'
import { startNearCache, type NearCacheStatus } from './near-cache.js'
import { SessionCookies, sentCookies, type CookieCredential } from './session-cookies.js'
import { openSessionEngine } from './session-engine.js'
import { sessionLifecycle, type SessionLifecycle } from './session-lifecycle.js'
import { presentedToken, RENEWED_TOKEN_HEADER, singleHeader } from './token-transport.js'

export type { AuthenticatedUser } from '../src/sessions/session-service.js'
export type { UserType } from '../src/tokens/session-claims.js'
export type { ErrorBody } from '../src/errors/error-body.js'
export type { NearCacheStatus } from './near-cache.js'
export type { SessionCheckSettingOptions, SessionCheckSettings } from '../src/config/session-check-settings.js'
export type { IssuedSessionBody, SessionViewBody } from '../contract/api-contract.js'
export type { UserBanBody } from '../contract/api-contract.js'
export type { UserId } from '../src/users/user-id.js'
export { RENEWED_TOKEN_HEADER } from './token-transport.js'
export {
  GenerationMovedError, SESSION_ENDING_REASONS, SessionLifecycleUnavailableError,
  type SessionEndAllOptions, type SessionEndingReason, type SessionEndOptions, type SessionLifecycle,
  type SessionListOptions, type SessionStartContext, type SessionStartInput
} from './session-lifecycle.js'
export type { SessionBanOptions, SessionUnbanOptions } from './session-lifecycle.js'

export interface SessionCheckOptions extends SessionCheckSettingOptions {
  /** An ioredis client (`Redis` or `Cluster`) to use instead of opening one from `redisUrl` or `redisClusterNodes`; its owner closes it. */
  redis?: RedisClient
  /** Where settings not given as options are read, by the server's names (`REDIS_URL`, ...). @default process.env */
  env?: EnvSource
  /**
   * Settings in their validated form, instead of the options and `env`: the auth server passes
   * its own configuration. Checked again as the options are (a bad value, or a public key as the
   * secret, fails the registration).
   */
  settings?: SessionCheckSettings
  /**
   * Milliseconds since the epoch, read whenever a token or session is judged by the time (access
   * token expiry, absolute lifetime, reissue and its grace). For tests that move time themselves.
   * @default () => Date.now()
   * @example clock: () => testClock.now()
   */
  clock?: () => number
  /** The auth server passes its own metrics and session events; a service's `app.sessions` tells none. */
  events?: AuthEvents
  /**
   * The auth server passes its own database. A service on `REFRESH_STORE=postgres` gives
   * `databaseUrl` (`DATABASE_URL`), the auth server's, to start and end sessions.
   */
  database?: SqlDatabase
}

export interface SessionCheckRequestOptions {
  /**
   * False: the session is checked (and refused when it has ended) without being kept alive:
   * neither its idle TTL nor "last seen" moves.
   * @default the route's `config.session.slide`, else true
   */
  slide?: boolean
}

export interface SessionCheck {
  /**
   * Verifies the request's token and checks its session: sets `request.user`, hands a reissued
   * token to the client, and throws the coded errors (1001, 1002, 1003, 1403, 1503) otherwise.
   * `method` is the one CSRF proof is judged by (a gateway's original request's).
   */
  check: (request: FastifyRequest, reply: FastifyReply, method?: string, options?: SessionCheckRequestOptions) => Promise<AuthenticatedUser>
  /** 403 "1005" (with `maxAge`) unless the user proved who they are within `maxAgeSeconds`, by the check's clock. */
  assertRecentAuth: (user: AuthenticatedUser, maxAgeSeconds: number) => void
  /** 403 "1403" unless a request authenticated by this cookie proves it comes from our pages. */
  assertCsrfProof: (request: FastifyRequest, credential: CookieCredential, method?: string) => void
  readonly settings: SessionCheckSettings
  readonly store: SessionStore
  /** Null with NEAR_CACHE=off. */
  readonly nearCache: NearCacheStatus | null
  readonly tokens: SessionTokenCodec
  readonly cookies: SessionCookies
  /** The clock the check judges by (the `clock` option). */
  readonly clock: Clock
  /** The refresh strategy's refresh tokens (the auth server's refresh route rotates them); null otherwise. */
  readonly refreshTokens: RefreshService | null
  readonly refreshStore: RefreshTokenStore | undefined
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Opt a route in with `preHandler: fastify.authenticate`; it then sees `request.user`. */
    authenticate: preHandlerHookHandler
    /** After `authenticate`: 403 "1403" unless the session's user is an admin. */
    requireAdmin: preHandlerHookHandler
    /**
     * After `authenticate`: 403 "1005" (with `maxAge` in the body) unless the user proved who
     * they are in this session (login, `POST /auth/reauthenticate`, `app.sessions.markAuthenticated`)
     * within `maxAgeSeconds`.
     * @example fastify.delete('/account', { preHandler: [fastify.authenticate, fastify.requireRecentAuth(300)] }, handler)
     */
    requireRecentAuth: (maxAgeSeconds: number) => preHandlerHookHandler
    sessionCheck: SessionCheck
    /** Starts and ends sessions for users the app signed in its own way: the auth server's login is built on it. */
    sessions: SessionLifecycle
  }
  interface FastifyRequest {
    /** Set by `authenticate`. */
    user: AuthenticatedUser
  }
  interface FastifyContextConfig {
    /**
     * How `authenticate` treats the route's requests. `slide: false`: a request checks the
     * session (an ended one is refused as usual) without keeping it alive: neither its idle TTL
     * nor "last seen" moves. For polls that must not keep an idle session alive for ever.
     * @example fastify.get('/notifications', { config: { session: { slide: false } }, preHandler: fastify.authenticate }, handler)
     */
    session?: { slide?: boolean }
  }
}

const MS_PER_SECOND = 1000

// The two ways a request may check its session, made once: the check runs on every request.
const SLIDING: AuthenticateOptions = Object.freeze({ keepAlive: true })
const NOT_SLIDING: AuthenticateOptions = Object.freeze({ keepAlive: false })

function slidingOf (slides: boolean): AuthenticateOptions {
  return slides ? SLIDING : NOT_SLIDING
}

// Whether a request keeps its session alive: a route says no with `config.session.slide: false`.
function routeSlides (request: FastifyRequest): boolean {
  return request.routeOptions.config.session?.slide !== false
}

function assertMaxAge (maxAgeSeconds: number): void {
  if (!Number.isSafeInteger(maxAgeSeconds) || maxAgeSeconds < 1) {
    throw new TypeError(`requireRecentAuth: maxAgeSeconds must be a whole number of seconds, at least 1 (got ${String(maxAgeSeconds)})`)
  }
}

// Fails the start when Redis does not answer, as the auth server does: a misconfigured location
// is found at deploy time. Later outages answer 503 and heal by themselves.
async function openRedis (fastify: FastifyInstance, settings: SessionCheckSettings): Promise<RedisClient> {
  const redis = await openResilientRedis(settings, fastify.log)
  fastify.addHook('onClose', async () => await closeRedis(redis))
  return redis
}

// The answer every service gives, whatever its own error handler: the auth server's error shape.
// Anything else is not ours to answer: it goes to the service's error handler.
function answerError (reply: FastifyReply, error: unknown, done: HookHandlerDoneFunction): void {
  const answer = apiErrorAnswer(error as Error)
  if (answer === undefined) {
    done(error as Error)
    return
  }
  if (answer.statusCode >= 500) reply.log.warn({ err: (error as Error).cause ?? error }, (error as Error).message)
  if (answer.retryAfterSeconds !== undefined) reply.header('retry-after', String(answer.retryAfterSeconds))
  reply.code(answer.statusCode).send(answer.body)
}

interface VerifiedClaims {
  claims: SessionClaims
  cookie?: CookieCredential
}

async function sessionCheckPlugin (fastify: FastifyInstance, options: SessionCheckOptions): Promise<void> {
  const settings = options.settings === undefined
    ? sessionCheckSettings(options, options.env ?? process.env)
    : checkedSessionCheckSettings(options.settings)
  const redis = options.redis ?? await openRedis(fastify, settings)
  // Cookies are parsed when the check asks for them (sentCookies), not on every request.
  if (!fastify.hasRequestDecorator('cookies')) await fastify.register(fastifyCookie, { hook: false })

  const redisStore = new RedisSessionStore(redis, {
    keyPrefix: settings.REDIS_KEY_PREFIX,
    fallbackTombstoneTtlMs: settings.SESSION_TTL * MS_PER_SECOND
  })
  const nearCache = settings.NEAR_CACHE === 'on' ? await startNearCache(redis, redisStore, settings, fastify.log) : undefined
  if (nearCache !== undefined) fastify.addHook('onClose', nearCache.close)
  const store = nearCache?.store ?? redisStore
  const clock = options.clock ?? systemClock
  const tokens = sessionTokenCodec({
    keys: settings.jwtKeys,
    algorithm: settings.ACCESS_TOKEN_ALG,
    accessTokenTtlSeconds: settings.AUTH_STRATEGY === 'refresh' ? settings.ACCESS_TOKEN_TTL : undefined,
    clock
  })
  const cookies = new SessionCookies(settings)
  const { engine: sessions, refreshTokens, refreshStore, refusals, close } = await openSessionEngine(settings, {
    redis, store, tokens, clock, log: fastify.log, events: options.events, database: options.database
  })
  fastify.addHook('onClose', close)

  function assertCsrfProof (request: FastifyRequest, credential: CookieCredential, method = request.method): void {
    const proven = hasCsrfProof({
      method,
      ownOrigin: `${request.protocol}://${request.host}`,
      origin: singleHeader(request.headers.origin),
      referer: singleHeader(request.headers.referer),
      headerToken: singleHeader(request.headers[CSRF_HEADER]),
      cookieToken: sentCookies(request)[credential.csrfCookieName]
    }, settings.corsOrigins)
    if (!proven) {
      throw new ForbiddenError('A request authenticated by cookie needs an allowed Origin or the x-csrf-token header')
    }
  }

  // The token's claims, once it is proven ours and, for a cookie, the request proven our pages'.
  function verifiedClaims (request: FastifyRequest, method: string): VerifiedClaims {
    const presented = presentedToken(request, settings.TOKEN_HEADER, cookies)
    if (presented === undefined) throw new InvalidTokenError()
    const claims = tokens.verify(presented.token)
    // Checked before the session is touched, so a forged request changes nothing.
    if (presented.cookie !== undefined) assertCsrfProof(request, presented.cookie, method)
    return { claims, cookie: presented.cookie }
  }

  // Refresh-strategy access tokens move to a new key at their next refresh; sliding ones here,
  // unless this service was given public keys only: then the auth server's own check moves them.
  const renewsOlderKeys = settings.AUTH_STRATEGY !== 'refresh' && tokens.canSign

  function accept (request: FastifyRequest, reply: FastifyReply, { claims, cookie }: VerifiedClaims, { user, reissued, notRemembered }: Authentication): AuthenticatedUser {
    request.user = user
    // A token signed with a key that is no longer first: its own claims, signed with the current key.
    const renewal = reissued ?? (renewsOlderKeys && tokens.signedWithOlderKey(claims) ? claims : undefined)
    if (renewal === undefined) return user
    const token = tokens.sign(renewal)
    if (cookie !== undefined) cookies.setTokens(reply, token, undefined, notRemembered !== true)
    else reply.header(RENEWED_TOKEN_HEADER, token)
    return user
  }

  async function check (request: FastifyRequest, reply: FastifyReply, method = request.method, options: SessionCheckRequestOptions = {}): Promise<AuthenticatedUser> {
    const { claims, cookie } = verifiedClaims(request, method)
    const keepAlive = slidingOf(options.slide ?? routeSlides(request))
    const authentication = sessions.authenticateCached(claims, undefined, keepAlive) ?? await sessions.authenticate(claims, undefined, keepAlive)
    return accept(request, reply, { claims, cookie }, authentication)
  }

  // Judged by the check's clock, which tests move.
  function assertRecentAuth (user: AuthenticatedUser, maxAgeSeconds: number): void {
    if (clock() - user.authAt > maxAgeSeconds * MS_PER_SECOND) throw recentAuthRequired(maxAgeSeconds)
  }

  // Callback-style, so a near-cache hit is answered in the same tick, without a promise.
  function authenticate (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
    let verified: ReturnType<typeof verifiedClaims>
    let authentication: Authentication | undefined
    const keepAlive = slidingOf(routeSlides(request))
    try {
      verified = verifiedClaims(request, request.method)
      authentication = sessions.authenticateCached(verified.claims, undefined, keepAlive)
      if (authentication !== undefined) accept(request, reply, verified, authentication)
    } catch (error) {
      answerError(reply, error, done)
      return
    }
    if (authentication !== undefined) {
      done()
      return
    }
    sessions.authenticate(verified.claims, undefined, keepAlive).then((fromStore) => {
      try {
        accept(request, reply, verified, fromStore)
      } catch (error) {
        answerError(reply, error, done)
        return
      }
      done()
    }, (error: unknown) => answerError(reply, error, done))
  }

  // Before anything else, on every route of the app (not only the checked ones): a service that
  // trusts X-User-Id from its gateway must never be handed X_User_Id from the client.
  fastify.addHook('onRequest', function refuseUnderscoreIdentityHeaders (request, reply, done) {
    const name = underscoreIdentityHeader(request.headers)
    if (name === undefined) done()
    else answerError(reply, new InvalidInputError(`Header ${name} is refused: identity headers are spelled with hyphens only`), done)
  })

  fastify.decorate('sessionCheck', {
    check,
    assertRecentAuth,
    assertCsrfProof,
    settings,
    store,
    nearCache: nearCache?.status ?? null,
    tokens,
    cookies,
    clock,
    refreshTokens,
    refreshStore
  } satisfies SessionCheck)
  fastify.decorate('sessions', sessionLifecycle({
    engine: sessions, refreshTokens, tokens, cookies, accessTokenTtlSeconds: settings.ACCESS_TOKEN_TTL, clock, refusals
  }))
  if (!fastify.hasRequestDecorator('user')) fastify.decorateRequest<AuthenticatedUser | null>('user', null)

  fastify.decorate('authenticate', authenticate)

  fastify.decorate('requireAdmin', function requireAdmin (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) {
    if (request.user.userType === 'admin') done()
    else answerError(reply, new ForbiddenError('This route is for administrators'), done)
  })

  fastify.decorate('requireRecentAuth', function requireRecentAuth (maxAgeSeconds: number): preHandlerHookHandler {
    // Checked when the route is declared, so a bad value fails the start, not a request.
    assertMaxAge(maxAgeSeconds)
    return function recentAuth (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) {
      try {
        assertRecentAuth(request.user, maxAgeSeconds)
      } catch (error) {
        answerError(reply, error, done)
        return
      }
      done()
    }
  })
}

const sessionCheck = fp(sessionCheckPlugin, { fastify: '5.x', name: '@token-session-auth/fastify' })
export default sessionCheck
export { sessionCheck }
