import type { FastifyInstance } from 'fastify'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { buildTestApp } from '../helpers/build-app.js'
import { moved, sample, scrape } from '../helpers/metrics.js'
import { nearCacheNoticedOutage } from '../helpers/near-cache.js'
import { RedisServer } from '../helpers/redis-server.js'
import { createAndLogIn, me } from '../helpers/sessions.js'
import { postgresRelaySkip, relayedTestDatabase } from '../helpers/postgres-relay.js'

// Outages made to happen, as in test/faults: /metrics keeps answering, and counts them.

const RECOVERY_LIMIT_MS = 15_000

// The session served again, and the near-cache on again: its own connection comes back on its
// own time, after a few more commands than the first request needs.
async function waitUntilRecovered (app: FastifyInstance, token: string): Promise<void> {
  const deadline = Date.now() + RECOVERY_LIMIT_MS
  while ((await me(app, token)).statusCode !== 200 || app.nearCache?.enabled !== true) {
    if (Date.now() > deadline) throw new Error('the session and the near-cache did not work again after Redis came back')
    await sleep(100)
  }
}

// ioredis sees the socket close on its own time; on a busy machine that can be after the first 503.
async function waitUntilDisconnected (app: FastifyInstance): Promise<void> {
  const deadline = Date.now() + RECOVERY_LIMIT_MS
  while (app.redis.status === 'ready') {
    if (Date.now() > deadline) throw new Error('the Redis connection still says ready after the server stopped')
    await sleep(50)
  }
}

t.test('a Redis outage: errors counted, the connection and the near-cache shown down, then up', async (t) => {
  const redisServer = await RedisServer.start({ persistent: true })
  t.teardown(async () => await redisServer.destroy())
  const { app } = await buildTestApp(t, { redisServer, env: { METRICS: 'on' } })
  const session = await createAndLogIn(app)
  t.equal((await me(app, session.token)).statusCode, 200)
  const before = await scrape(app)
  t.equal(sample(before, 'auth_redis_connected'), 1)

  await redisServer.stop()
  await nearCacheNoticedOutage(app)
  const refused = await me(app, session.token)
  t.equal(refused.statusCode, 503, 'the check answers 503')
  const login = await app.inject({ method: 'POST', url: '/auth/login', payload: { account: session.account, password: session.password } })
  t.equal(login.statusCode, 503)
  await waitUntilDisconnected(app)
  const during = await scrape(app)
  t.ok(moved(before, during, 'auth_redis_errors_total{kind="unavailable"}') >= 2, 'the check and the login counted as Redis unavailable')
  t.equal(moved(before, during, 'auth_redis_errors_total{kind="reply"}'), 0, 'not as refused commands')
  t.equal(moved(before, during, 'auth_logins_total{result="unavailable"}'), 1, 'the login counted as unavailable')
  t.equal(sample(during, 'auth_redis_connected'), 0, 'the connection is down')
  t.equal(sample(during, 'auth_near_cache_enabled'), 0, 'the near-cache is off')
  t.equal(sample(during, 'auth_near_cache_entries'), 0, 'and empty')
  t.ok(moved(before, during, 'auth_near_cache_flushes_total') >= 1, 'it was flushed')
  t.ok(during.has('auth_http_request_duration_seconds_count{method="GET",route="/auth/me",status_code="503"}'), 'the 503s by route')

  await redisServer.restart()
  await waitUntilRecovered(app, session.token)
  const after = await scrape(app)
  t.equal(sample(after, 'auth_redis_connected'), 1, 'connected again')
  t.equal(sample(after, 'auth_near_cache_enabled'), 1, 'the near-cache is back on')
})

t.test('a PostgreSQL outage: counted as database errors', { skip: postgresRelaySkip }, async (t) => {
  const relay = await relayedTestDatabase(t)
  const { app } = await buildTestApp(t, { env: { METRICS: 'on', DATABASE_URL: relay.url } })
  const session = await createAndLogIn(app)
  const before = await scrape(app)
  await relay.cut()
  const login = await app.inject({ method: 'POST', url: '/auth/login', payload: { account: session.account, password: session.password } })
  t.equal(login.statusCode, 503, 'a login needs the database')
  const after = await scrape(app)
  t.ok(moved(before, after, 'auth_database_errors_total{kind="unavailable"}') >= 1, 'counted')
  t.equal(moved(before, after, 'auth_logins_total{result="unavailable"}'), 1)
  t.equal(moved(before, after, 'auth_redis_errors_total{kind="unavailable"}'), 0, 'Redis was fine')
})
