import Fastify, { type FastifyInstance } from 'fastify'
import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import sessionCheck from '../../session-check/index.js'
import type { AppConfig } from '../../src/config/load-config.js'
import { SESSION_FIELDS } from '../../src/sessions/session-fields.js'
import { sessionKeys } from '../../src/sessions/session-keys.js'
import { buildTestApp } from '../helpers/build-app.js'
import { createAndLogIn, me } from '../helpers/sessions.js'
import { TestClock } from '../helpers/test-clock.js'
import { pluginOptionsOf } from '../helpers/plugin-options.js'

// Issue 26 §4 in a service using the plugin: app.requireRecentAuth(maxAgeSeconds) after
// authenticate, and app.sessions.markAuthenticated for the app's own second factor.

const MAX_AGE_SECONDS = 300
const MS_PER_SECOND = 1000

// A service whose /transfer needs a sign-in within five minutes, and whose /confirm-code stands
// for the app's own factor (a one-time code it checked).
async function paymentsService (t: Test, config: AppConfig, clock: () => number): Promise<FastifyInstance> {
  const service = Fastify()
  t.teardown(async () => await service.close())
  await service.register(sessionCheck, pluginOptionsOf(config, { clock }))
  service.post('/transfer', { preHandler: [service.authenticate, service.requireRecentAuth(MAX_AGE_SECONDS)] }, async (request) => ({ authAt: request.user.authAt }))
  service.post('/confirm-code', { preHandler: service.authenticate }, async (request) =>
    ({ authAt: await service.sessions.markAuthenticated(request.user.userId, request.user.sessionId) }))
  await service.ready()
  return service
}

async function transfer (service: FastifyInstance, token: string): Promise<{ statusCode: number, body: Record<string, unknown> }> {
  const res = await service.inject({ method: 'POST', url: '/transfer', headers: { token } })
  return { statusCode: res.statusCode, body: res.json() }
}

t.test('requireRecentAuth: 403 "1005" with maxAge once authAt is older; markAuthenticated lets it through on every instance', async (t) => {
  const clock = new TestClock()
  const { app, config } = await buildTestApp(t, { clock: clock.now })
  // Two instances of the service, each with its near-cache: both have the session cached.
  const [first, second] = [await paymentsService(t, config, clock.now), await paymentsService(t, config, clock.now)]
  const loginAt = clock.now()
  const session = await createAndLogIn(app)

  for (const service of [first, second]) t.same(await transfer(service, session.token), { statusCode: 200, body: { authAt: loginAt } }, 'signed in at login')
  clock.advance(MAX_AGE_SECONDS * MS_PER_SECOND)
  t.equal((await transfer(first, session.token)).statusCode, 200, 'exactly maxAge old is still recent')
  clock.advance(1)
  for (const service of [first, second]) {
    t.same(await transfer(service, session.token), {
      statusCode: 403,
      body: { code: 0, errorCode: '1005', info: `Sign in again to do this: the last sign-in must be within ${MAX_AGE_SECONDS} seconds`, maxAge: MAX_AGE_SECONDS }
    }, 'a millisecond older: sign in again')
  }

  clock.advance(1000)
  const confirmed = await first.inject({ method: 'POST', url: '/confirm-code', headers: { token: session.token } })
  t.same(confirmed.json(), { authAt: clock.now() }, 'markAuthenticated answers the new authAt')
  t.same(await transfer(first, session.token), { statusCode: 200, body: { authAt: clock.now() } }, 'at once on the instance that marked it')
  // The other instance hears of the write from Redis, as of a logout: waited for, never longer than a hang.
  const deadline = Date.now() + 10_000
  let onSecond = await transfer(second, session.token)
  while (onSecond.statusCode !== 200 && Date.now() < deadline) {
    await sleep(5)
    onSecond = await transfer(second, session.token)
  }
  t.same(onSecond, { statusCode: 200, body: { authAt: clock.now() } }, 'and on the other instance')
  t.equal((await me(app, session.token)).json<{ authAt: number }>().authAt, clock.now(), 'and on the auth server')
  const key = sessionKeys(config.REDIS_KEY_PREFIX).session(session.userId, session.sessionId)
  t.equal(await app.redis.hget(key, SESSION_FIELDS.authAt), String(clock.now()), 'stored in the session hash')
})

t.test('markAuthenticated: an ended session stays ended; a bad session id is refused', async (t) => {
  const clock = new TestClock()
  const { app, config } = await buildTestApp(t, { clock: clock.now })
  const service = await paymentsService(t, config, clock.now)
  const session = await createAndLogIn(app)
  await service.sessions.end(session.userId, session.sessionId, { reason: 'logout' })
  await t.rejects(service.sessions.markAuthenticated(session.userId, session.sessionId), { statusCode: 401, code: 'AUTH_1002', reason: 'logout' })
  const key = sessionKeys(config.REDIS_KEY_PREFIX).session(session.userId, session.sessionId)
  t.equal(await app.redis.exists(key), 0, 'no hash made for it')
  await t.rejects(service.sessions.markAuthenticated(session.userId, 'not a session'), { statusCode: 400, code: 'AUTH_1400' })
})

t.test('requireRecentAuth refuses a maxAge that is not a whole number of seconds, at the route\'s declaration', async (t) => {
  const clock = new TestClock()
  const { config } = await buildTestApp(t, { clock: clock.now })
  const service = await paymentsService(t, config, clock.now)
  for (const maxAge of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
    t.throws(() => service.requireRecentAuth(maxAge), /maxAgeSeconds must be a whole number of seconds/, String(maxAge))
  }
})
