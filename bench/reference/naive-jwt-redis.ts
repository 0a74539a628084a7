import fastifyJwt from '@fastify/jwt'
import Fastify from 'fastify'
import { Redis } from 'ioredis'
import type { SessionClaims } from '../../src/tokens/session-claims.js'
import type { UserId } from '../../src/users/user-id.js'
import {
  HOST, NAIVE_KEY_PREFIX, SESSION_TTL_SECONDS, UNAUTHENTICATED, UserIds, loginBodySchema, meResponses, readReferenceEnv,
  type LoginBody
} from './reference-env.js'

// The design of the original write-up, as it reads: verify the JWT, then ask Redis whether
// the token's key exists and extend it, as two awaited commands (two round trips) on every
// request. The key names the user and the token's signature, the part unique to each token.

interface NaiveClaims extends SessionClaims {
  account: string
}

const env = readReferenceEnv()
const redis = new Redis(env.redisUrl)
const users = new UserIds()
const app = Fastify()
await app.register(fastifyJwt, { secret: env.secret, sign: { algorithm: 'HS256' }, verify: { algorithms: ['HS256'] } })

function tokenKey (userId: UserId, token: string): string {
  return `${NAIVE_KEY_PREFIX}${userId}:${token.slice(token.lastIndexOf('.') + 1)}`
}

app.get('/health', async () => ({ status: 'ok' }))

// No password check: the bench only needs sessions to load the authenticated route with.
app.post<{ Body: LoginBody }>('/auth/login', { schema: { body: loginBodySchema } }, async (request) => {
  const user = users.newSession(request.body.account)
  const now = Math.floor(Date.now() / 1000)
  const claims: NaiveClaims = { userId: user.userId, userType: user.userType, sid: user.sessionId, iat: now, auth_time: now, account: user.account }
  const token = app.jwt.sign(claims)
  await redis.set(tokenKey(user.userId, token), '1', 'EX', SESSION_TTL_SECONDS)
  return { token }
})

app.get('/auth/me', { schema: { response: meResponses } }, async (request, reply) => {
  const token = request.headers.token
  if (typeof token !== 'string') return await reply.code(401).send(UNAUTHENTICATED)
  let claims: NaiveClaims
  try {
    claims = app.jwt.verify<NaiveClaims>(token)
  } catch {
    return await reply.code(401).send(UNAUTHENTICATED)
  }
  const key = tokenKey(claims.userId, token)
  if (await redis.exists(key) === 0) return await reply.code(401).send(UNAUTHENTICATED)
  await redis.expire(key, SESSION_TTL_SECONDS)
  return { userId: claims.userId, userType: claims.userType, account: claims.account, sessionId: claims.sid }
})

await app.listen({ port: env.port, host: HOST })
