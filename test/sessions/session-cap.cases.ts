import t from 'tap'
import { buildTestApp } from '../helpers/build-app.js'
import { TestClock } from '../helpers/test-clock.js'
import { createUser, logIn, me, type LoggedIn } from '../helpers/sessions.js'
import { appOptions, forEachStrategy, refresh, REFRESH_STRATEGIES, refreshTokenOf } from '../helpers/strategies.js'

const CAP = 3
const LOGINS = 5

interface ErrorBody {
  errorCode: string
  reason?: string
}

// SESSION_MAX_PER_USER: a login beyond the cap ends the user's oldest sessions, reason "evicted".
t.test('a login beyond SESSION_MAX_PER_USER evicts the oldest sessions', async (t) => {
  forEachStrategy(t, async (t, strategy) => {
    const { app } = await buildTestApp(t, appOptions(strategy, { SESSION_MAX_PER_USER: String(CAP) }))
    const user = await createUser(app)
    const logins: LoggedIn[] = []
    for (let i = 0; i < LOGINS; i++) {
      logins.push(await logIn(app, user, `device-${i}`))
      // Each session is used right away, so with the near-cache on it is cached when it is evicted.
      const used = await me(app, logins[i]?.token ?? '')
      t.equal(used.statusCode, 200, `login #${i + 1} works at first`)
    }
    const evicted = logins.slice(0, LOGINS - CAP)
    const kept = logins.slice(LOGINS - CAP)
    for (const [i, login] of evicted.entries()) {
      const res = await me(app, login.token)
      t.equal(res.statusCode, 401, `old login #${i + 1}: 401 (${res.body})`)
      t.match(res.json<ErrorBody>(), { errorCode: '1002', reason: 'evicted' }, `old login #${i + 1}: 1002 evicted`)
    }
    for (const [i, login] of kept.entries()) {
      t.equal((await me(app, login.token)).statusCode, 200, `recent login #${LOGINS - CAP + i + 1} still works`)
    }
    const listed = await app.inject({ method: 'GET', url: '/auth/sessions', headers: { token: kept[0]?.token ?? '' } })
    const ids = listed.json<{ sessions: Array<{ id: string }> }>().sessions.map((session) => session.id).sort()
    t.same(ids, kept.map((login) => login.sessionId).sort(), 'the session list holds exactly the newest sessions')
  })
})

// A backend may start sessions back to back: within one millisecond, the oldest is still the first.
t.test('sessions started in the same millisecond are evicted in the order they began', async (t) => {
  const clock = new TestClock()
  const { app } = await buildTestApp(t, { clock: clock.now, env: { SESSION_MAX_PER_USER: '2' } })
  for (let round = 0; round < 20; round++) {
    const userId = `same_moment_${round}`
    const started = []
    for (let login = 0; login < 4; login++) started.push(await app.sessions.start({ userId }))
    const answers = await Promise.all(started.map(async (issued) => (await me(app, issued.token)).json<ErrorBody>()))
    t.match(answers.map((answer) => answer.reason ?? 'live'), ['evicted', 'evicted', 'live', 'live'], `round ${round}: the first two ended`)
  }
})

t.test('refresh: an evicted session cannot be refreshed', async (t) => {
  forEachStrategy(t, async (t, strategy) => {
    const { app } = await buildTestApp(t, appOptions(strategy, { SESSION_MAX_PER_USER: '1' }))
    const user = await createUser(app)
    const first = await logIn(app, user)
    await logIn(app, user)
    const res = await refresh(app, refreshTokenOf(first.response))
    t.equal(res.statusCode, 401, res.body)
    t.match(res.json<ErrorBody>(), { errorCode: '1002', reason: 'evicted' }, 'the refresh is told the session was evicted')
  }, REFRESH_STRATEGIES)
})

t.test('sessions that ended on their own do not count toward the cap', async (t) => {
  const { app, config } = await buildTestApp(t, { env: { SESSION_MAX_PER_USER: String(CAP) } })
  const user = await createUser(app)
  const oldest = await logIn(app, user)
  const idle = await logIn(app, user)
  await logIn(app, user)
  // As if it had expired: the key is gone, its index entry is still there.
  await app.redis.del(`${config.REDIS_KEY_PREFIX}ACCESS_TOKEN:{${user.userId}}:${idle.sessionId}`)
  await logIn(app, user)
  t.equal((await me(app, oldest.token)).statusCode, 200, 'the oldest live session is kept: only three are alive')
})

t.test('SESSION_MAX_PER_USER=0 keeps every session', async (t) => {
  const { app } = await buildTestApp(t, { env: { SESSION_MAX_PER_USER: '0' } })
  const user = await createUser(app)
  const logins: LoggedIn[] = []
  for (let i = 0; i < LOGINS; i++) logins.push(await logIn(app, user))
  for (const [i, login] of logins.entries()) {
    t.equal((await me(app, login.token)).statusCode, 200, `login #${i + 1} still works`)
  }
})

// A login's trim is a call of its own after the create, so concurrent logins trim an index that
// others are adding to and trimming: together they must still leave exactly the cap.
t.test('concurrent logins beyond the cap leave exactly SESSION_MAX_PER_USER live sessions', async (t) => {
  const rounds = 5
  const { app } = await buildTestApp(t, { env: { SESSION_MAX_PER_USER: String(CAP), NEAR_CACHE: 'off' } })
  for (let round = 0; round < rounds; round++) {
    const user = await createUser(app)
    for (let i = 0; i < CAP; i++) await logIn(app, user)
    const logins = await Promise.all(Array.from({ length: LOGINS * 2 }, async () => await logIn(app, user)))
    const indexed = await app.redis.zrange(`ACCESS_TOKEN_INDEX:{${user.userId}}`, '0', '-1')
    t.equal(indexed.length, CAP, `round ${round}: the index holds the cap`)
    const live = await Promise.all(indexed.map(async (id) => await app.redis.exists(`ACCESS_TOKEN:{${user.userId}}:${id}`)))
    t.same(live, indexed.map(() => 1), `round ${round}: every indexed session is alive`)
    const working = (await Promise.all(logins.map(async (login) => (await me(app, login.token)).statusCode))).filter((status) => status === 200)
    t.ok(working.length <= CAP, `round ${round}: at most the cap of the new logins work (${working.length})`)
    const tombstones = await app.redis.keys(`ACCESS_TOKEN_REVOKED:{${user.userId}}:*`)
    t.equal(tombstones.length, LOGINS * 2, `round ${round}: every other session was evicted`)
  }
})
