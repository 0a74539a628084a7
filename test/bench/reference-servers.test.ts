import { Redis } from 'ioredis'
import { test, type Test } from 'tap'
import { referenceServer, startServer } from '../../bench/servers.js'
import { logInWithCookie, logInWithToken, type ConnectionHeaders } from '../../bench/sessions.js'
import { RedisServer } from '../helpers/redis-server.js'

// The benchmark compares our server with these; a reference server that answered 200 to
// anyone, or kept sessions anywhere but Redis, would make that comparison meaningless.

const SECRET = 'a secret long enough for every reference server'
const ACCOUNT = 'ann@example.com'

type LogIn = (serverUrl: string, accounts: string[], count: number) => Promise<ConnectionHeaders[]>

const sessionServers: Array<[string, LogIn]> = [
  ['naive-jwt-redis', logInWithToken],
  ['fastify-session', logInWithCookie],
  ['express-session', logInWithCookie]
]

async function startReference (t: Test, name: string): Promise<{ url: string, redis: Redis }> {
  const redisServer = await RedisServer.start()
  t.teardown(async () => await redisServer.destroy())
  const server = await startServer({ name, script: referenceServer(name), env: { REDIS_URL: redisServer.url, JWT_SECRET: SECRET } })
  t.teardown(server.stop)
  const redis = new Redis(redisServer.url)
  t.teardown(() => redis.disconnect())
  return { url: server.url, redis }
}

for (const [name, logIn] of sessionServers) {
  test(`${name}: 401 without a session, 200 with one, 401 once Redis has lost it`, async (t) => {
    const { url, redis } = await startReference(t, name)
    const [headers] = await logIn(url, [ACCOUNT], 1)

    t.equal((await fetch(`${url}/auth/me`)).status, 401)
    const signedIn = await fetch(`${url}/auth/me`, { headers })
    t.equal(signedIn.status, 200)
    t.match(await signedIn.json(), { userId: 1, userType: 'user', account: ACCOUNT, sessionId: String })

    await redis.flushall()
    t.equal((await fetch(`${url}/auth/me`, { headers })).status, 401)
  })
}

test('bare-fastify answers the same JSON without any session', async (t) => {
  const { url } = await startReference(t, 'bare-fastify')
  const response = await fetch(`${url}/auth/me`)
  t.equal(response.status, 200)
  t.match(await response.json(), { userId: Number, userType: 'user', account: String, sessionId: String })
})
