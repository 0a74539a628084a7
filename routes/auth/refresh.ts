import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { issuedSessionBody, refreshCookieOf } from '../../session-check/issued-session.js'
import { errorResponses } from '../../src/api/error-schema.js'
import { IssuedSessionSchema } from '../../src/api/session-schemas.js'
import { accountDisabled, InvalidRefreshTokenError, sessionEnded, tooManyRequests } from '../../src/errors/api-errors.js'
import type { RefreshAttempt } from '../../src/refresh/refresh-service.js'
import { parseRefreshToken, REFRESH_TOKEN_MAX_LENGTH } from '../../src/refresh/refresh-token.js'
import { banUntil } from '../../src/sessions/user-ban.js'
import type { RefreshCharge } from '../../src/rate-limit/attempt-limiter.js'

const RefreshBodySchema = Type.Object({
  refreshToken: Type.Optional(Type.String({ minLength: 1, maxLength: REFRESH_TOKEN_MAX_LENGTH }))
})

const MS_PER_SECOND = 1000
// A token too malformed to name a session is charged to the client alone.
const NO_SESSION = '-'

function chargeOf (attempt: RefreshAttempt): RefreshCharge {
  switch (attempt.status) {
    case 'refreshed': return 'session'
    case 'too_soon': return 'none'
    default: return 'ip'
  }
}

// AUTH_STRATEGY=refresh only; with the sliding strategy this route does not exist (404).
const refresh: FastifyPluginAsyncTypebox = async (fastify) => {
  const { refreshTokens } = fastify
  if (refreshTokens === null) return

  fastify.post('/refresh', {
    // Web clients send the refresh cookie and no body at all; the schema still checks any body sent.
    preValidation: async (request) => { request.body ??= {} },
    schema: {
      summary: 'Trade a refresh token for a new access token and a new refresh token (rotation)',
      description: 'The refresh token comes in the body, or for web clients in the __Secure-refreshToken cookie (refreshToken without COOKIE_SECURE).',
      tags: ['auth'],
      body: RefreshBodySchema,
      response: { 200: IssuedSessionSchema, ...errorResponses(400, 401, 403, 429, 503) }
    }
  }, async (request, reply) => {
    const fromBody = request.body.refreshToken
    const cookie = fromBody === undefined ? request.refreshTokenCookie() : undefined
    const token = fromBody ?? cookie?.value
    if (token === undefined) {
      fastify.authEvents.refreshAttempted('invalid', { ip: request.ip })
      throw new InvalidRefreshTokenError()
    }
    // The cookie is SameSite=Strict already; the proof is asked as for every cookie-authenticated POST.
    if (cookie !== undefined) fastify.sessionCheck.assertCsrfProof(request, cookie)

    // A rotation whose answer never reaches the client (a dropped connection, a Redis reply
    // lost to the command timeout) leaves it holding the retired token: REFRESH_REUSE_GRACE is
    // what turns its retry into the same answer rather than a suspected theft.
    const presented = parseRefreshToken(token)
    const sessionKey = presented === undefined ? NO_SESSION : `${presented.userId}:${presented.family}`
    const attempt = await fastify.attemptLimiter.guardRefresh(sessionKey, request.ip, async () => {
      if (presented !== undefined) return await refreshTokens.refresh(presented, fastify.sessionCheck.clock(), request.ip)
      fastify.authEvents.refreshAttempted('invalid', { ip: request.ip })
      return { status: 'invalid' } as const
    }, chargeOf)

    switch (attempt.status) {
      case 'refreshed': {
        const { tokens, clock } = fastify.sessionCheck
        const issued = tokens.sign(attempt.claims)
        const nowMs = clock()
        reply.setTokenCookies(issued, refreshCookieOf(attempt.refresh, nowMs), attempt.notRemembered !== true)
        return issuedSessionBody(issued, attempt.claims, attempt.refresh, fastify.config.ACCESS_TOKEN_TTL, nowMs)
      }
      case 'too_soon':
        // Nothing is revoked: the client keeps both tokens and tries again later.
        throw tooManyRequests(attempt.retryAfterMs / MS_PER_SECOND)
      case 'ended':
        reply.clearSessionCookies()
        throw sessionEnded(attempt.reason)
      case 'banned':
        reply.clearSessionCookies()
        throw accountDisabled(banUntil(attempt.ban))
      default:
        reply.clearSessionCookies()
        throw new InvalidRefreshTokenError()
    }
  })
}

export default refresh
