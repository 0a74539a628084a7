import { createHash } from 'node:crypto'
import t from 'tap'
import { buildTestApp } from '../helpers/build-app.js'
import { postgresRelaySkip, relayedTestDatabase } from '../helpers/postgres-relay.js'
import { RedisServer } from '../helpers/redis-server.js'
import { createAndLogIn, me } from '../helpers/sessions.js'
import { challengeOf, currentCode, enableTotp, passwordStep, secondFactor, totpConfirm, totpRemove, totpSetup } from '../helpers/second-factor.js'
import { TestClock } from '../helpers/test-clock.js'

// An outage is 503 "1503" on every second-factor route, never a logout, and it uses up nothing.
t.test('the second factor with PostgreSQL unreachable: 503, the session lives, the challenge too', { skip: postgresRelaySkip }, async (t) => {
  const relay = await relayedTestDatabase(t)
  const clock = new TestClock()
  const { app } = await buildTestApp(t, { clock: clock.now, env: { DATABASE_URL: relay.url } })
  const session = await createAndLogIn(app)
  const totp = await enableTotp(app, session, clock)
  const challenge = await challengeOf(app, session)
  await relay.cut()
  for (const [name, answer] of [
    ['the code', await secondFactor(app, challenge, currentCode(totp.secret, clock))],
    ['setup', await totpSetup(app, session.token)],
    ['confirm', await totpConfirm(app, session.token, '123456')],
    ['removal', await totpRemove(app, session.token, currentCode(totp.secret, clock))],
    ['the password step', await passwordStep(app, session)]
  ] as const) {
    t.same([answer.statusCode, answer.json<{ errorCode: string }>().errorCode], [503, '1503'], `${name}: 503 (${answer.body})`)
  }
  t.equal((await me(app, session.token)).statusCode, 200, 'no session ended')
  const challengeKey = `${app.config.REDIS_KEY_PREFIX}LOGIN_CHALLENGE:${createHash('sha256').update(challenge).digest('base64url')}`
  t.equal(await app.redis.exists(challengeKey), 1, 'the challenge was not used up')
})

t.test('the second factor with Redis down: 503', async (t) => {
  const redisServer = await RedisServer.start()
  t.teardown(async () => await redisServer.destroy())
  const clock = new TestClock()
  const { app } = await buildTestApp(t, { clock: clock.now, redisServer, env: { NEAR_CACHE: 'off', REDIS_COMMAND_TIMEOUT: '300' } })
  const session = await createAndLogIn(app)
  const totp = await enableTotp(app, session, clock)
  const challenge = await challengeOf(app, session)
  await redisServer.stop()
  const answer = await secondFactor(app, challenge, currentCode(totp.secret, clock))
  t.same([answer.statusCode, answer.json<{ errorCode: string }>().errorCode], [503, '1503'], answer.body)
})
