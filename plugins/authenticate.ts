import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import { AccessTokenExpiredError, ForbiddenError, InvalidTokenError } from '../src/errors/api-errors.js'
import { CSRF_HEADER, hasCsrfProof } from '../src/security/csrf.js'
import { asSessionClaims, MAX_TOKEN_LENGTH, type SessionClaims } from '../src/tokens/session-claims.js'
import { RENEWED_TOKEN_HEADER, type CookieCredential } from './cookies.js'
// fast-jwt's code for a token past its `exp`, reported only once the signature has checked out.
const EXPIRED_TOKEN_CODE = 'FAST_JWT_EXPIRED'

declare module 'fastify' {
  interface FastifyInstance {
    // Opt a route in with `preHandler: fastify.authenticate`; it then sees `request.user`.
    authenticate: preHandlerAsyncHookHandler
    requireAdmin: preHandlerAsyncHookHandler
    // 403 "1403" unless a request authenticated by this cookie proves it comes from our pages.
    assertCsrfProof: (request: FastifyRequest, credential: CookieCredential) => void
  }
}

interface PresentedToken {
  token: string
  // Set when the token came in a cookie.
  cookie?: CookieCredential
}

const BEARER_PATTERN = /^Bearer +(\S+) *$/i

function singleHeader (value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined
}

// The token header first (what the mobile apps send), then a Bearer header, then the cookie.
function presentedToken (request: FastifyRequest, tokenHeader: string): PresentedToken | undefined {
  const header = singleHeader(request.headers[tokenHeader])
  if (header !== undefined) return { token: header }
  const bearer = singleHeader(request.headers.authorization)?.match(BEARER_PATTERN)?.[1]
  if (bearer !== undefined) return { token: bearer }
  const cookie = request.accessTokenCookie()
  return cookie === undefined ? undefined : { token: cookie.value, cookie }
}

export default fp(async (fastify) => {
  const { config } = fastify
  const accessTokensExpire = config.AUTH_STRATEGY === 'refresh'

  function verifiedClaims (token: string): SessionClaims {
    // Oversized input is refused before the JWT parser spends time on it.
    if (token.length > MAX_TOKEN_LENGTH) throw new InvalidTokenError()
    let payload: unknown
    try {
      payload = fastify.jwt.verify(token)
    } catch (error) {
      // Refresh strategy: "refresh and retry", which a client must tell from "log in again".
      // A sliding token never has `exp`: one past it was not issued by this strategy.
      if (accessTokensExpire && (error as { code?: unknown }).code === EXPIRED_TOKEN_CODE) throw new AccessTokenExpiredError()
      throw new InvalidTokenError()
    }
    const claims = asSessionClaims(payload)
    if (claims === undefined) throw new InvalidTokenError()
    // An access token of the refresh strategy always carries `exp`: one without it could never expire.
    if (accessTokensExpire && claims.exp === undefined) throw new InvalidTokenError()
    return claims
  }

  function assertCsrfProof (request: FastifyRequest, credential: CookieCredential): void {
    const proven = hasCsrfProof({
      method: request.method,
      ownOrigin: `${request.protocol}://${request.host}`,
      origin: singleHeader(request.headers.origin),
      referer: singleHeader(request.headers.referer),
      headerToken: singleHeader(request.headers[CSRF_HEADER]),
      cookieToken: request.cookies[credential.csrfCookieName]
    }, config.corsOrigins)
    if (!proven) {
      throw new ForbiddenError('A request authenticated by cookie needs an allowed Origin or the x-csrf-token header')
    }
  }

  fastify.decorate('assertCsrfProof', assertCsrfProof)

  fastify.decorate('authenticate', async function authenticate (request: FastifyRequest, reply: FastifyReply) {
    const presented = presentedToken(request, config.TOKEN_HEADER)
    if (presented === undefined) throw new InvalidTokenError()
    const claims = verifiedClaims(presented.token)
    // Checked before the session is touched, so a forged request changes nothing.
    if (presented.cookie !== undefined) assertCsrfProof(request, presented.cookie)
    const { user, reissued } = await fastify.sessions.authenticate(claims)
    request.user = user
    if (reissued === undefined) return
    const token = fastify.signSessionToken(reissued)
    if (presented.cookie !== undefined) reply.setTokenCookies(token)
    else reply.header(RENEWED_TOKEN_HEADER, token)
  })

  fastify.decorate('requireAdmin', async function requireAdmin (request: FastifyRequest) {
    if (request.user.userType !== 'admin') throw new ForbiddenError('This route is for administrators')
  })
}, { name: 'authenticate', dependencies: ['config', 'jwt', 'cookies', 'sessions'] })
