import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import { ForbiddenError, InvalidTokenError } from '../src/errors/api-errors.js'
import { CSRF_COOKIE, CSRF_HEADER, hasCsrfProof } from '../src/security/csrf.js'
import { asSessionClaims, MAX_TOKEN_LENGTH, type SessionClaims } from '../src/tokens/session-claims.js'
import { ACCESS_TOKEN_COOKIE } from './cookies.js'

declare module 'fastify' {
  interface FastifyInstance {
    // Opt a route in with `preHandler: fastify.authenticate`; it then sees `request.user`.
    authenticate: preHandlerAsyncHookHandler
    requireAdmin: preHandlerAsyncHookHandler
  }
}

interface PresentedToken {
  token: string
  fromCookie: boolean
}

const BEARER_PATTERN = /^Bearer +(\S+) *$/i

function singleHeader (value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined
}

// The token header first (what the mobile apps send), then a Bearer header, then the cookie.
function presentedToken (request: FastifyRequest, tokenHeader: string): PresentedToken | undefined {
  const header = singleHeader(request.headers[tokenHeader])
  if (header !== undefined) return { token: header, fromCookie: false }
  const bearer = singleHeader(request.headers.authorization)?.match(BEARER_PATTERN)?.[1]
  if (bearer !== undefined) return { token: bearer, fromCookie: false }
  const cookie = request.cookies[ACCESS_TOKEN_COOKIE]
  if (cookie !== undefined && cookie.length > 0) return { token: cookie, fromCookie: true }
  return undefined
}

export default fp(async (fastify) => {
  const { config } = fastify

  function verifiedClaims (token: string): SessionClaims {
    // Oversized input is refused before the JWT parser spends time on it.
    if (token.length > MAX_TOKEN_LENGTH) throw new InvalidTokenError()
    let payload: unknown
    try {
      payload = fastify.jwt.verify(token)
    } catch {
      throw new InvalidTokenError()
    }
    const claims = asSessionClaims(payload)
    if (claims === undefined) throw new InvalidTokenError()
    return claims
  }

  function assertCsrfProof (request: FastifyRequest): void {
    const proven = hasCsrfProof({
      method: request.method,
      ownOrigin: `${request.protocol}://${request.host}`,
      origin: singleHeader(request.headers.origin),
      referer: singleHeader(request.headers.referer),
      headerToken: singleHeader(request.headers[CSRF_HEADER]),
      cookieToken: request.cookies[CSRF_COOKIE]
    }, config.corsOrigins)
    if (!proven) {
      throw new ForbiddenError('A request authenticated by cookie needs an allowed Origin or the x-csrf-token header')
    }
  }

  fastify.decorate('authenticate', async function authenticate (request: FastifyRequest) {
    const presented = presentedToken(request, config.TOKEN_HEADER)
    if (presented === undefined) throw new InvalidTokenError()
    const claims = verifiedClaims(presented.token)
    // Checked before the session is touched, so a forged request changes nothing.
    if (presented.fromCookie) assertCsrfProof(request)
    request.user = await fastify.sessions.authenticate(claims)
  })

  fastify.decorate('requireAdmin', async function requireAdmin (request: FastifyRequest) {
    if (request.user.userType !== 'admin') throw new ForbiddenError('This route is for administrators')
  })
}, { name: 'authenticate', dependencies: ['config', 'jwt', 'cookies', 'sessions'] })
