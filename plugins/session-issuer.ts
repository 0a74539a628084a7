import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { IssuedSession } from '../src/api/session-schemas.js'
import type { IssuedRefreshToken } from '../src/refresh/refresh-service.js'
import { loginSessionStart } from '../src/sessions/login-session-start.js'
import type { SessionClaims } from '../src/tokens/session-claims.js'
import type { User } from '../src/users/user-repository.js'
import type { RefreshCookie } from './cookies.js'

declare module 'fastify' {
  interface FastifyInstance {
    // Undefined when the user's sessions were all ended since `generation` was read.
    issueSession: (
      request: FastifyRequest, reply: FastifyReply, user: User, generation: string, deviceId?: string
    ) => Promise<IssuedSession | undefined>
    // The answer to a refresh: new tokens for a session that exists, and their cookies.
    issueRefreshedTokens: (reply: FastifyReply, claims: SessionClaims, refresh: IssuedRefreshToken) => IssuedSession
  }
}

const MS_PER_SECOND = 1000

function secondsUntil (ms: number, nowMs: number): number {
  return Math.max(0, Math.floor((ms - nowMs) / MS_PER_SECOND))
}

// Starts a session for a user whose password was just checked: the Redis record, the token
// (and refresh token), the cookies for web clients. Used by login and by password change.
export default fp(async (fastify) => {
  const { config } = fastify
  const { clock } = fastify.sessionCheck

  function describe (token: string, claims: SessionClaims, refresh: IssuedRefreshToken | undefined): IssuedSession {
    const issued: IssuedSession = { result: 'success', token, userId: claims.userId, userType: claims.userType, sessionId: claims.sid }
    if (refresh === undefined) return issued
    const nowMs = clock()
    return {
      ...issued,
      expiresIn: secondsUntil((claims.iat + config.ACCESS_TOKEN_TTL) * MS_PER_SECOND, nowMs),
      refreshToken: refresh.refreshToken,
      refreshExpiresIn: secondsUntil(refresh.expiresAt, nowMs)
    }
  }

  function refreshCookie (refresh: IssuedRefreshToken | undefined): RefreshCookie | undefined {
    if (refresh === undefined) return undefined
    return { refreshToken: refresh.refreshToken, maxAgeSeconds: secondsUntil(refresh.expiresAt, clock()) }
  }

  fastify.decorate('issueSession', async (
    request: FastifyRequest, reply: FastifyReply, user: User, generation: string, deviceId?: string
  ) => {
    const start = loginSessionStart(user, { userAgent: request.headers['user-agent'], ip: request.ip, deviceId })
    const claims = await fastify.sessions.start(start, generation)
    if (claims === undefined) return undefined
    let refresh: IssuedRefreshToken | undefined
    if (fastify.refreshTokens !== null) {
      refresh = await fastify.refreshTokens.issue({ ...start, sessionId: claims.sid, loginAt: claims.iat * MS_PER_SECOND })
      // Ended in the milliseconds since it started: as if the generation had moved.
      if (refresh === undefined) return undefined
    }
    const token = fastify.sessionCheck.tokens.sign(claims)
    reply.setSessionCookies(token, user.account, refreshCookie(refresh))
    return describe(token, claims, refresh)
  })

  fastify.decorate('issueRefreshedTokens', (reply: FastifyReply, claims: SessionClaims, refresh: IssuedRefreshToken) => {
    const token = fastify.sessionCheck.tokens.sign(claims)
    reply.setTokenCookies(token, refreshCookie(refresh))
    return describe(token, claims, refresh)
  })
}, { name: 'session-issuer', dependencies: ['sessions', 'session-check', 'cookies'] })
