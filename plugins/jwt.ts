import fastifyJwt from '@fastify/jwt'
import fp from 'fastify-plugin'
import type { AuthenticatedUser } from '../src/sessions/session-service.js'
import type { SessionClaims } from '../src/tokens/session-claims.js'

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: SessionClaims
    user: AuthenticatedUser
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    // The token for a session: no `exp` in the sliding strategy, ACCESS_TOKEN_TTL in the refresh one.
    signSessionToken: (claims: SessionClaims) => string
  }
}

const VERIFIED_TOKEN_CACHE_SIZE = 10_000

// One algorithm, pinned both ways: tokens with `alg: none`, RS256 or anything else are refused
// before their claims are read. Signing is deterministic (HS256, claims in a fixed order): the
// same claims give the same token, which is how racing requests are handed one token.
export default fp(async (fastify) => {
  const { config } = fastify
  await fastify.register(fastifyJwt, {
    secret: config.JWT_SECRET,
    sign: { algorithm: 'HS256' },
    // Verification is pure (signature, `exp`), so its result can be kept: a client's next request
    // with the same token skips the HMAC and the JSON parse. Entries never outlive the token's `exp`.
    verify: { algorithms: ['HS256'], cache: VERIFIED_TOKEN_CACHE_SIZE }
  })
  const accessTokenTtl = config.AUTH_STRATEGY === 'refresh' ? config.ACCESS_TOKEN_TTL : undefined
  fastify.decorate('signSessionToken', (claims: SessionClaims) =>
    fastify.jwt.sign(accessTokenTtl === undefined ? claims : { ...claims, exp: claims.iat + accessTokenTtl }))
}, { name: 'jwt', dependencies: ['config'] })
