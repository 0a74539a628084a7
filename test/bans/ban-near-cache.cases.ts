import type { FastifyInstance } from 'fastify'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { buildTestApp } from '../helpers/build-app.js'
import { RedisServer } from '../helpers/redis-server.js'
import { createAndLogIn, createUser, logIn, me } from '../helpers/sessions.js'
import { SLIDING } from '../helpers/strategies.js'
import { banByAdmin } from './ban-requests.js'

const ROUNDS = 10

function nearCacheOf (app: FastifyInstance): NonNullable<FastifyInstance['nearCache']> {
  if (app.nearCache === null) throw new Error('NEAR_CACHE is off')
  return app.nearCache
}

// A ban on instance A ends the sessions instance B serves from its near-cache: A answers only
// once its own cache has dropped them, B as soon as Redis' invalidation reaches it.
t.test('a ban on one instance is refused by the near-cache of another', async (t) => {
  const redisServer = await RedisServer.start()
  t.teardown(async () => await redisServer.destroy())
  const { app: a } = await buildTestApp(t, { redisServer, databaseUrl: SLIDING.databaseUrl })
  const { app: b } = await buildTestApp(t, { redisServer, databaseUrl: SLIDING.databaseUrl })
  const admin = await createAndLogIn(a, 'admin')
  for (let round = 0; round < ROUNDS; round++) {
    const user = await createUser(a)
    const sessions = [await logIn(a, user, 'phone'), await logIn(a, user, 'laptop')]
    for (const app of [a, b]) {
      for (const session of sessions) t.equal((await me(app, session.token)).statusCode, 200)
      await nearCacheOf(app).sync()
      for (const session of sessions) t.equal((await me(app, session.token)).statusCode, 200)
    }
    const hitsBefore = nearCacheOf(b).counts.hits
    for (const session of sessions) await me(b, session.token)
    t.equal(nearCacheOf(b).counts.hits - hitsBefore, 2, `round ${round}: B serves both sessions from its cache`)

    const banned = await banByAdmin(a, admin.token, user.userId, { reason: 'spam' })
    t.same(banned.json(), { result: 'success', revoked: 2 })
    // No sync on A: its answer waited for the invalidations.
    for (const session of sessions) t.match((await me(a, session.token)).json(), { errorCode: '1002', reason: 'banned' }, 'A refuses at once')
    // Measured, not asserted: how long B served a session after A's answer.
    const answeredAt = performance.now()
    while ((await me(b, sessions[0]?.token ?? '')).statusCode === 200) await sleep(0)
    const servedMs = performance.now() - answeredAt
    await nearCacheOf(b).sync()
    for (const session of sessions) t.match((await me(b, session.token)).json(), { errorCode: '1002', reason: 'banned' }, `B refuses (${servedMs.toFixed(2)} ms after A's answer)`)
  }
})
