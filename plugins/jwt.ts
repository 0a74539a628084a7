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

// One algorithm, pinned both ways: tokens with `alg: none`, RS256 or anything else are refused
// before their claims are read. No `expiresIn`: a token's life is its session key in Redis.
export default fp(async (fastify) => {
  await fastify.register(fastifyJwt, {
    secret: fastify.config.JWT_SECRET,
    sign: { algorithm: 'HS256' },
    verify: { algorithms: ['HS256'] }
  })
}, { name: 'jwt', dependencies: ['config'] })
