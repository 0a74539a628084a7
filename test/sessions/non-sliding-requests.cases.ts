import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { sessionKeys } from '../../src/sessions/session-keys.js'
import { buildTestApp } from '../helpers/build-app.js'
import { createAndLogIn, me } from '../helpers/sessions.js'
import { appOptions, forEachStrategy, SLIDING, STRATEGIES_WITH_AND_WITHOUT_NEAR_CACHE, sessionTtlEnv } from '../helpers/strategies.js'
import { TestClock } from '../helpers/test-clock.js'
import { storedLastSeenAt } from '../helpers/stored-session.js'

// Issue 26 §3: a request that checks its session without keeping it alive. A gateway says so
// with X-Session-Slide: off on GET /auth/verify (a plugin route with config.session.slide: false,
// test/plugins/non-sliding-routes.cases.ts).

const TWO_MINUTES_MS = 120_000
const TTL_SECONDS = 600
// As if the session had been idle for five minutes: far below where a request slides it back.
const IDLE_TTL_MS = 300_000

async function pollWithoutSliding (app: FastifyInstance, token: string): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'GET', url: '/auth/verify', headers: { token, 'x-session-slide': 'off' } })
}

t.test('X-Session-Slide: off moves neither the TTL nor "last seen"; a request without it moves both', async (t) => {
  forEachStrategy(t, async (t, strategy) => {
    const clock = new TestClock()
    const { app, config } = await buildTestApp(t, { ...appOptions(strategy, sessionTtlEnv(strategy, TTL_SECONDS)), clock: clock.now })
    const session = await createAndLogIn(app)
    const key = sessionKeys(config.REDIS_KEY_PREFIX).session(session.userId, session.sessionId)
    await app.redis.pexpire(key, IDLE_TTL_MS)

    // Twice, two minutes apart: the first reads Redis, the second may be a near-cache hit past
    // its background touch. That touch would be sent on the app's connection before this
    // request's answer, so the reads below, on the same connection, would see its writes.
    for (const poll of ['first', 'second']) {
      clock.advance(TWO_MINUTES_MS)
      t.equal((await pollWithoutSliding(app, session.token)).statusCode, 204, `${poll} poll: the session is live`)
      t.ok(await app.redis.pttl(key) <= IDLE_TTL_MS, `${poll} poll: the TTL did not move`)
      t.equal(await storedLastSeenAt(app.redis, key), null, `${poll} poll: no "last seen"`)
    }

    clock.advance(TWO_MINUTES_MS)
    t.equal((await me(app, session.token)).statusCode, 200)
    t.equal(await storedLastSeenAt(app.redis, key), clock.now(), 'a request without the header is "last seen"')
    if (!strategy.refresh) t.ok(await app.redis.pttl(key) > IDLE_TTL_MS, 'and slides the TTL back up')
  }, STRATEGIES_WITH_AND_WITHOUT_NEAR_CACHE)
})

t.test('X-Session-Slide takes "on" or "off"; "off" wins over "on"; anything else is 400 "1400"', async (t) => {
  const { app } = await buildTestApp(t, appOptions(SLIDING))
  const session = await createAndLogIn(app)
  const verify = async (value: string): Promise<LightMyRequestResponse> =>
    await app.inject({ method: 'GET', url: '/auth/verify', headers: { token: session.token, 'x-session-slide': value } })
  t.equal((await verify('on')).statusCode, 204)
  t.equal((await verify('OFF')).statusCode, 204)
  t.equal((await verify('on, off')).statusCode, 204)
  for (const value of ['false', '0', 'off;', '']) {
    const refused = await verify(value)
    t.equal(refused.statusCode, 400, `"${value}": ${refused.body}`)
    t.equal(refused.json<{ errorCode: string }>().errorCode, '1400')
  }
})

// Redis' own expiry is what is tested here, so this waits in real time: about 3 s.
const IDLE_TTL_SECONDS = 3
const POLL_EVERY_MS = 500
// Only a hang reaches it.
const CEILING_MS = 30_000

t.test(`SESSION_TTL=${IDLE_TTL_SECONDS}: a poll with X-Session-Slide: off every ${POLL_EVERY_MS} ms ends "expired", a sliding one stays signed in`, async (t) => {
  for (const nearCache of ['on', 'off']) {
    t.test(`NEAR_CACHE=${nearCache}`, async (t) => {
      const { app } = await buildTestApp(t, appOptions(SLIDING, { SESSION_TTL: String(IDLE_TTL_SECONDS), NEAR_CACHE: nearCache }))
      const startedAt = Date.now()
      const [polled, active] = [await createAndLogIn(app), await createAndLogIn(app)]
      let ended: LightMyRequestResponse | undefined
      let activeAnswers = 0
      while (ended === undefined && Date.now() - startedAt < CEILING_MS) {
        const poll = await pollWithoutSliding(app, polled.token)
        if (poll.statusCode !== 204) ended = poll
        const activeAnswer = await me(app, active.token)
        if (activeAnswer.statusCode !== 200) t.fail(`the sliding session was refused: ${activeAnswer.body}`)
        activeAnswers++
        await sleep(POLL_EVERY_MS)
      }
      const endedAfterMs = Date.now() - startedAt
      t.ok(ended, `the polled session ended (after ${endedAfterMs} ms)`)
      t.equal(ended?.statusCode, 401)
      t.same(ended?.json(), { code: 0, errorCode: '1002', info: 'Session has ended (expired)', reason: 'expired' }, 'as an idle session does')
      t.ok(activeAnswers > 1, `the sliding session answered 200 ${activeAnswers} times`)
      t.equal((await me(app, active.token)).statusCode, 200, 'and lives on')
    })
  }
})
