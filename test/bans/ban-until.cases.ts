import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { buildTestApp } from '../helpers/build-app.js'
import { createUser } from '../helpers/sessions.js'
import { appOptions, SLIDING } from '../helpers/strategies.js'
import { tryLogIn } from './ban-requests.js'

// Redis' own expiry is what is tested here, so the wait is real: the ban key's TTL runs out.
const BAN_MS = 1500
// A liveness bound, far above BAN_MS: only a ban that never lifts reaches it.
const WAIT_LIMIT_MS = 15_000
const POLL_MS = 100

t.test('a ban with until lifts by itself when its key expires', async (t) => {
  const { app } = await buildTestApp(t, appOptions(SLIDING))
  const user = await createUser(app)
  const until = new Date(Date.now() + BAN_MS)
  await app.sessions.ban(user.userId, { reason: 'cooling off', until })
  const banKey = `${app.config.REDIS_KEY_PREFIX}ACCESS_TOKEN_BAN:{${user.userId}}`
  const ttlMs = await app.redis.pttl(banKey)
  t.ok(ttlMs > 0 && ttlMs <= BAN_MS, `the key expires with the ban (PTTL ${ttlMs} ms)`)
  t.match((await tryLogIn(app, user)).json(), { errorCode: '1011', until: until.toISOString() }, 'refused while it lasts')

  const deadline = Date.now() + WAIT_LIMIT_MS
  let login = await tryLogIn(app, user)
  while (login.statusCode === 403 && Date.now() < deadline) {
    await sleep(POLL_MS)
    login = await tryLogIn(app, user)
  }
  t.equal(login.statusCode, 200, 'the user signs in once the ban has lifted')
  t.equal(await app.redis.exists(banKey), 0, 'Redis expired the key')
  t.same(await app.sessions.findBan(user.userId), { banned: false }, 'and the ban is no longer shown')
})
