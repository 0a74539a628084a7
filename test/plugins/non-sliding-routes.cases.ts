import Fastify, { type FastifyInstance } from 'fastify'
import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import sessionCheck from '../../session-check/index.js'
import type { AppConfig } from '../../src/config/load-config.js'
import { sessionKeys } from '../../src/sessions/session-keys.js'
import { buildTestApp } from '../helpers/build-app.js'
import { createAndLogIn } from '../helpers/sessions.js'
import { TestClock } from '../helpers/test-clock.js'
import { pluginOptionsOf } from '../helpers/plugin-options.js'
import { storedLastSeenAt } from '../helpers/stored-session.js'

// Issue 26 §3 in a service using the plugin: a route declared with config.session.slide: false
// checks the session without keeping it alive.

async function serviceWithPoll (t: Test, config: AppConfig, clock?: () => number): Promise<FastifyInstance> {
  const service = Fastify()
  t.teardown(async () => await service.close())
  await service.register(sessionCheck, pluginOptionsOf(config, { sessionTtl: config.SESSION_TTL, ...(clock === undefined ? {} : { clock }) }))
  service.get('/notifications', { config: { session: { slide: false } }, preHandler: service.authenticate }, async (request) => ({ userId: request.user.userId }))
  service.get('/orders', { preHandler: service.authenticate }, async (request) => ({ userId: request.user.userId }))
  await service.ready()
  return service
}

const TWO_MINUTES_MS = 120_000
const IDLE_TTL_MS = 300_000

t.test('a route with config.session.slide: false moves neither the TTL nor "last seen"', async (t) => {
  const clock = new TestClock()
  const { app, config } = await buildTestApp(t, { env: { SESSION_TTL: '600' }, clock: clock.now })
  const service = await serviceWithPoll(t, config, clock.now)
  const session = await createAndLogIn(app)
  const key = sessionKeys(config.REDIS_KEY_PREFIX).session(session.userId, session.sessionId)
  await app.redis.pexpire(key, IDLE_TTL_MS)

  for (const poll of ['first', 'second']) {
    clock.advance(TWO_MINUTES_MS)
    const res = await service.inject({ method: 'GET', url: '/notifications', headers: { token: session.token } })
    t.equal(res.statusCode, 200, `${poll} poll: ${res.body}`)
    t.ok(await app.redis.pttl(key) <= IDLE_TTL_MS, `${poll} poll: the TTL did not move`)
    t.equal(await storedLastSeenAt(app.redis, key), null, `${poll} poll: no "last seen"`)
  }
  clock.advance(TWO_MINUTES_MS)
  t.equal((await service.inject({ method: 'GET', url: '/orders', headers: { token: session.token } })).statusCode, 200)
  // A background touch of the near-cache: on its own connection, so waited for.
  const deadline = Date.now() + 10_000
  while (await storedLastSeenAt(app.redis, key) === null && Date.now() < deadline) await sleep(10)
  t.equal(await storedLastSeenAt(app.redis, key), clock.now(), 'a route without it is "last seen"')
  t.ok(await app.redis.pttl(key) > IDLE_TTL_MS, 'and slides the TTL back up')
})

const POLL_EVERY_MS = 500
const CEILING_MS = 30_000

t.test('SESSION_TTL=3: polling the non-sliding route every 500 ms ends "expired", polling a sliding one keeps the session', async (t) => {
  const { app, config } = await buildTestApp(t, { env: { SESSION_TTL: '3' } })
  const service = await serviceWithPoll(t, config)
  const startedAt = Date.now()
  const [polled, active] = [await createAndLogIn(app), await createAndLogIn(app)]
  let ended: { statusCode: number, body: unknown } | undefined
  let activeAnswers = 0
  while (ended === undefined && Date.now() - startedAt < CEILING_MS) {
    const poll = await service.inject({ method: 'GET', url: '/notifications', headers: { token: polled.token } })
    if (poll.statusCode !== 200) ended = { statusCode: poll.statusCode, body: poll.json() }
    const work = await service.inject({ method: 'GET', url: '/orders', headers: { token: active.token } })
    if (work.statusCode !== 200) t.fail(`the sliding session was refused: ${work.body}`)
    activeAnswers++
    await sleep(POLL_EVERY_MS)
  }
  t.ok(ended, `the polled session ended (after ${Date.now() - startedAt} ms)`)
  t.same(ended, { statusCode: 401, body: { code: 0, errorCode: '1002', info: 'Session has ended (expired)', reason: 'expired' } })
  t.ok(activeAnswers > 1, `the sliding session answered 200 ${activeAnswers} times`)
})
