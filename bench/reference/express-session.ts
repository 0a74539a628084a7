import { RedisStore } from 'connect-redis'
import express from 'express'
import session from 'express-session'
import { createClient } from 'redis'
import { EXPRESS_SESSION_KEY_PREFIX, HOST, SESSION_TTL_SECONDS, UNAUTHENTICATED, UserIds, readReferenceEnv, type BenchUser } from './reference-env.js'

// What many Node teams run: Express 5 with express-session and connect-redis, rolling
// sessions (the cookie is renewed on every response and the store's TTL touched).

declare module 'express-session' {
  interface SessionData {
    user: BenchUser
  }
}

const env = readReferenceEnv()
const redis = createClient({ url: env.redisUrl })
await redis.connect()
const users = new UserIds()

const app = express()
app.use(express.json())
app.use(session({
  store: new RedisStore({ client: redis, prefix: EXPRESS_SESSION_KEY_PREFIX, ttl: SESSION_TTL_SECONDS }),
  secret: env.secret,
  resave: false,
  rolling: true,
  saveUninitialized: false,
  cookie: { secure: false, httpOnly: true, sameSite: 'lax', maxAge: SESSION_TTL_SECONDS * 1000 }
}))

app.get('/health', (_request, response) => {
  response.json({ status: 'ok' })
})

// No password check: the bench only needs sessions to load the authenticated route with.
app.post('/auth/login', (request, response) => {
  const account: unknown = request.body?.account
  if (typeof account !== 'string' || account === '') {
    response.status(400).json({ error: 'account is required' })
    return
  }
  request.session.user = { ...users.newSession(account), sessionId: request.session.id }
  response.json({ result: 'success' })
})

app.get('/auth/me', (request, response) => {
  const user = request.session.user
  if (user === undefined) {
    response.status(401).json(UNAUTHENTICATED)
    return
  }
  response.json(user)
})

app.listen(env.port, HOST)
