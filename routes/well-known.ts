import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { publicJwkSet } from '../src/tokens/jwk-set.js'

// Offline verifiers cache the set this long. A coming key is announced (docs/key-rotation.md) at
// least this long before it signs, so a verifier that has not refetched still knows it; one that
// meets an unknown kid refetches at once anyway.
const JWKS_MAX_AGE_SECONDS = 300

const PublicJwkSchema = Type.Object({
  kty: Type.Union([Type.Literal('OKP'), Type.Literal('EC')]),
  crv: Type.Union([Type.Literal('Ed25519'), Type.Literal('P-256')]),
  x: Type.String({ description: 'base64url' }),
  y: Type.Optional(Type.String({ description: 'base64url; EC keys only' })),
  kid: Type.String({ description: 'The kid in the header of the tokens this key signs' }),
  alg: Type.Union([Type.Literal('EdDSA'), Type.Literal('ES256')]),
  use: Type.Literal('sig')
})

const JwkSetSchema = Type.Object({ keys: Type.Array(PublicJwkSchema) })

// GET /.well-known/jwks.json: the public keys of JWT_KEYS, for services that verify access tokens
// offline. Only with ACCESS_TOKEN_ALG=EdDSA or ES256 and the refresh strategy: a symmetric secret
// is never published, and a sliding-strategy token has no `exp`, so an offline verifier would
// trust it for ever, logged out or not. Elsewhere there is no route (404).
const wellKnown: FastifyPluginAsyncTypebox = async (fastify) => {
  const { config } = fastify
  if (config.ACCESS_TOKEN_ALG === 'HS256' || config.AUTH_STRATEGY !== 'refresh') return
  // The keys are fixed for the life of the process: the answer is made once.
  const jwkSet = publicJwkSet(config.jwtKeys, config.ACCESS_TOKEN_ALG)
  const cacheControl = `public, max-age=${JWKS_MAX_AGE_SECONDS}`

  fastify.get('/.well-known/jwks.json', {
    schema: {
      summary: 'The public keys that verify access tokens (JWK Set)',
      tags: ['auth'],
      response: { 200: JwkSetSchema }
    }
  }, async (_request, reply) => {
    reply.header('cache-control', cacheControl)
    return jwkSet
  })
}

export default wellKnown
