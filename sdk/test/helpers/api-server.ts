import type { FastifyInstance } from 'fastify'
import { Writable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { buildTestApp, type TestContext } from '../../../test/helpers/build-app.js'
import { reachablePostgresUrl } from '../../../test/helpers/database.js'
import type { RedisServer } from '../../../test/helpers/redis-server.js'
import { createUser, type TestUser } from '../../../test/helpers/sessions.js'
import { TestClock } from '../../../test/helpers/test-clock.js'
import type { LoginAnswer, LoginResult } from '../../src/index.js'

// The real server on a real port, for the SDK to talk to with Node's fetch and axios.
export interface ApiServer {
  app: FastifyInstance
  baseUrl: string
  redisServer?: RedisServer
  // How many requests the server received for `method url`, counted from its request log.
  received: (method: string, url: string) => number
  createUser: () => Promise<TestUser>
  // The server's clock: it moves only when the test moves it.
  clock: TestClock
  // Moves the server's clock past the access token's `exp`: from now on the server answers 1003.
  expireAccessToken: (token: string) => void
}

// The refresh strategy with short-lived access tokens (expired by moving the server's clock).
export const ACCESS_TOKEN_TTL_SECONDS = 2
export const REFRESH_ENV = {
  AUTH_STRATEGY: 'refresh',
  ACCESS_TOKEN_TTL: String(ACCESS_TOKEN_TTL_SECONDS),
  // The tests refresh the same session many times within one window.
  RATE_LIMIT_REFRESH_SESSION: '1000'
}

const postgresUrl = await reachablePostgresUrl()
const MS_PER_SECOND = 1000

interface LoggedRequest {
  msg?: unknown
  req?: { method?: unknown, url?: unknown }
}

// Counts "incoming request" lines of the server's JSON log by method and URL.
function requestCounter (): { stream: Writable, received: (method: string, url: string) => number } {
  const counts = new Map<string, number>()
  let pending = ''
  const stream = new Writable({
    write (chunk: Buffer, _encoding, done) {
      const lines = (pending + chunk.toString()).split('\n')
      pending = lines.pop() ?? ''
      for (const line of lines) {
        const entry = JSON.parse(line) as LoggedRequest
        if (entry.msg !== 'incoming request' || entry.req === undefined) continue
        const key = `${String(entry.req.method)} ${String(entry.req.url)}`
        counts.set(key, (counts.get(key) ?? 0) + 1)
      }
      done()
    }
  })
  return { stream, received: (method, url) => counts.get(`${method} ${url}`) ?? 0 }
}

export async function startApiServer (
  t: TestContext, env: Record<string, string>, redisServer?: RedisServer
): Promise<ApiServer> {
  const counter = requestCounter()
  const clock = new TestClock()
  const built = await buildTestApp(t, {
    clock: clock.now,
    env: { LOG_LEVEL: 'info', ...env },
    logStream: counter.stream,
    databaseUrl: postgresUrl,
    ...(redisServer === undefined ? {} : { redisServer })
  })
  const { app } = built
  const baseUrl = await app.listen({ port: 0, host: '127.0.0.1' })
  return {
    app,
    baseUrl,
    ...(built.redisServer === undefined ? {} : { redisServer: built.redisServer }),
    received: counter.received,
    createUser: async () => await createUser(app),
    clock,
    expireAccessToken: (token) => clock.advanceTo(expiryOf(token) * MS_PER_SECOND + 1)
  }
}

// The claims of a JWT, read without checking it (the server does that).
function expiryOf (token: string): number {
  const payload = token.split('.')[1]
  if (payload === undefined) throw new Error('not a JWT')
  const { exp } = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { exp?: unknown }
  if (typeof exp !== 'number') throw new Error('the token has no exp')
  return exp
}

// Until the app answers /ready again after its Redis came back.
export async function waitUntilReady (app: FastifyInstance): Promise<void> {
  const deadline = Date.now() + 15_000
  while ((await app.inject({ method: 'GET', url: '/ready' })).statusCode !== 200) {
    if (Date.now() > deadline) throw new Error('the app did not reconnect to Redis')
    await sleep(100)
  }
}

// A login answer that started a session; a test of an account without a second factor expects one.
export function signedInAs (answer: LoginAnswer): LoginResult {
  if (answer.secondFactorRequired === true) throw new Error('the login asked for a second factor')
  return answer
}
