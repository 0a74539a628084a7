import fastifyCookie from '@fastify/cookie'
import fastifySession from '@fastify/session'
import { RedisStore } from 'connect-redis'
import Fastify from 'fastify'
import { createClient } from 'redis'
import {
  FASTIFY_SESSION_KEY_PREFIX, HOST, SESSION_TTL_SECONDS, UNAUTHENTICATED, UserIds, loginBodySchema, meResponses, readReferenceEnv,
  type BenchUser, type LoginBody
} from './reference-env.js'

// The usual Fastify choice: @fastify/session with connect-redis over node-redis, rolling
// sessions (the cookie and the stored TTL are renewed on every response, like our slide).

declare module 'fastify' {
  interface Session {
    user?: BenchUser
  }
}

const env = readReferenceEnv()
const redis = createClient({ url: env.redisUrl })
await redis.connect()
const users = new UserIds()

const app = Fastify()
await app.register(fastifyCookie)
await app.register(fastifySession, {
  secret: env.secret,
  store: new RedisStore({ client: redis, prefix: FASTIFY_SESSION_KEY_PREFIX, ttl: SESSION_TTL_SECONDS }),
  rolling: true,
  saveUninitialized: false,
  // Plain HTTP on loopback: a Secure cookie would never be saved or sent.
  cookie: { secure: false, httpOnly: true, sameSite: 'lax', maxAge: SESSION_TTL_SECONDS * 1000 }
})

app.get('/health', async () => ({ status: 'ok' }))

// No password check: the bench only needs sessions to load the authenticated route with.
app.post<{ Body: LoginBody }>('/auth/login', { schema: { body: loginBodySchema } }, async (request) => {
  const user = users.newSession(request.body.account)
  request.session.user = { ...user, sessionId: request.session.sessionId }
  return { result: 'success' }
})

app.get('/auth/me', { schema: { response: meResponses } }, async (request, reply) => {
  const user = request.session.user
  if (user === undefined) return await reply.code(401).send(UNAUTHENTICATED)
  return user
})

await app.listen({ port: env.port, host: HOST })
