import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import { buildTestApp } from '../../helpers/build-app.js'
import { RedisServer } from '../../helpers/redis-server.js'
import { createAndLogIn, createUser, logIn, me, type LoggedIn } from '../../helpers/sessions.js'
import {
  appOptions, forEachStrategy, refresh, refreshTokenOf, STRATEGIES_WITH_AND_WITHOUT_NEAR_CACHE
} from '../../helpers/strategies.js'

// POST /auth/logout-others: every session of the user ends with reason logout_others, except
// the one that asks, whose token (and refresh token) keeps working.

const RACE_ROUNDS = 10
const RACING_LOGINS = 3
// Far longer than the app takes to reconnect to a restarted Redis, even on a busy machine.
const RECOVERY_LIMIT_MS = 15_000
const RECOVERY_POLL_MS = 100

async function logoutOthers (app: FastifyInstance, token?: string): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'POST', url: '/auth/logout-others', ...(token === undefined ? {} : { headers: { token } }) })
}

async function waitUntilReady (app: FastifyInstance): Promise<void> {
  const deadline = Date.now() + RECOVERY_LIMIT_MS
  while ((await app.inject({ method: 'GET', url: '/ready' })).statusCode !== 200) {
    if (Date.now() > deadline) throw new Error('the app did not see Redis come back')
    await sleep(RECOVERY_POLL_MS)
  }
}

function cookieOf (session: LoggedIn, name: string): string {
  const cookie = session.response.cookies.find((c) => c.name === name)
  if (cookie === undefined) throw new Error(`no ${name} cookie`)
  return cookie.value
}

function assertError (t: Test, res: LightMyRequestResponse, statusCode: number, errorCode: string, what: string, reason?: string): void {
  t.equal(res.statusCode, statusCode, `${what}: ${statusCode} (${res.body})`)
  const body = res.json<{ errorCode: string, reason?: string }>()
  t.equal(body.errorCode, errorCode, `${what}: errorCode ${errorCode}`)
  t.equal(body.reason, reason, `${what}: reason ${String(reason)}`)
}

t.test('logout-others ends every other session of the user, and only those', async (t) => {
  forEachStrategy(t, async (t, strategy) => {
    const { app } = await buildTestApp(t, appOptions(strategy))
    const user = await createUser(app)
    const [phone, laptop, tablet] = [await logIn(app, user, 'phone'), await logIn(app, user, 'laptop'), await logIn(app, user, 'tablet')]
    const stranger = await createAndLogIn(app)
    // Each session checked once first, so that the near-cache (where on) holds all of them.
    for (const session of [phone, laptop, tablet, stranger]) t.equal((await me(app, session.token)).statusCode, 200)

    const res = await logoutOthers(app, laptop.token)
    t.same(res.json(), { result: 'success', revoked: 2 }, 'the phone and the tablet')
    t.equal(res.headers['set-cookie'], undefined, "the caller's cookies are left alone")

    for (const ended of [phone, tablet]) {
      assertError(t, await me(app, ended.token), 401, '1002', `the ${ended === phone ? 'phone' : 'tablet'}`, 'logout_others')
      if (strategy.refresh) {
        assertError(t, await refresh(app, refreshTokenOf(ended.response)), 401, '1002', 'its refresh token', 'logout_others')
      }
    }
    t.equal((await me(app, laptop.token)).statusCode, 200, "the caller's session lives on")
    const listed = await app.inject({ method: 'GET', url: '/auth/sessions', headers: { token: laptop.token } })
    t.same(listed.json<{ sessions: Array<{ id: string }> }>().sessions.map((s) => s.id), [laptop.sessionId], 'and is the only one listed')
    t.equal((await me(app, stranger.token)).statusCode, 200, "another user's session is untouched")
    if (strategy.refresh) {
      t.equal((await refresh(app, refreshTokenOf(laptop.response))).statusCode, 200, "the caller's refresh token still refreshes")
      t.equal((await refresh(app, refreshTokenOf(stranger.response))).statusCode, 200, "and so does the other user's")
    }

    t.same((await logoutOthers(app, laptop.token)).json(), { result: 'success', revoked: 0 }, 'again: nothing left to end')
  }, STRATEGIES_WITH_AND_WITHOUT_NEAR_CACHE)
})

t.test('only an authenticated caller, and a cookie only with CSRF proof', async (t) => {
  const { app } = await buildTestApp(t)
  const user = await createUser(app)
  const caller = await logIn(app, user)
  const other = await logIn(app, user)

  assertError(t, await logoutOthers(app), 401, '1001', 'no token')
  assertError(t, await logoutOthers(app, 'not-a-token'), 401, '1001', 'a malformed token')

  const accessToken = cookieOf(caller, 'accessToken')
  const csrfToken = cookieOf(caller, 'csrfToken')
  const unproven = await app.inject({ method: 'POST', url: '/auth/logout-others', cookies: { accessToken, csrfToken } })
  assertError(t, unproven, 403, '1403', 'the cookie without the x-csrf-token header')
  t.equal((await me(app, other.token)).statusCode, 200, 'a refused call ends nothing')

  const proven = await app.inject({
    method: 'POST', url: '/auth/logout-others', cookies: { accessToken, csrfToken }, headers: { 'x-csrf-token': csrfToken }
  })
  t.same(proven.json(), { result: 'success', revoked: 1 }, 'with the proof')
  assertError(t, await me(app, other.token), 401, '1002', 'the other session', 'logout_others')

  assertError(t, await logoutOthers(app, other.token), 401, '1002', 'an ended session cannot call it', 'logout_others')
})

t.test('logins racing a logout-others: the caller lives, every earlier session ends, the count is honest', async (t) => {
  const { app } = await buildTestApp(t)
  for (let round = 1; round <= RACE_ROUNDS; round++) {
    const user = await createUser(app)
    const caller = await logIn(app, user)
    const earlier = await logIn(app, user)
    const [answer, ...racing] = await Promise.all([
      logoutOthers(app, caller.token),
      ...Array.from({ length: RACING_LOGINS }, async () => await logIn(app, user))
    ])
    const racingStatuses = await Promise.all(racing.map(async (login) => (await me(app, login.token)).json<{ reason?: string }>()))
    const endedRacing = racingStatuses.filter((body) => body.reason === 'logout_others').length
    const aliveRacing = racingStatuses.filter((body) => body.reason === undefined).length
    t.equal(endedRacing + aliveRacing, RACING_LOGINS, `round ${round}: each racing login is ended by it or alive`)
    t.equal(answer?.json<{ revoked: number }>().revoked, 1 + endedRacing, `round ${round}: revoked counts the sessions it ended`)
    t.equal((await me(app, earlier.token)).json<{ reason?: string }>().reason, 'logout_others', `round ${round}: the earlier session ended`)
    t.equal((await me(app, caller.token)).statusCode, 200, `round ${round}: the caller lives`)
  }
})

t.test('a Redis outage answers 503 "1503", and ends nothing', async (t) => {
  // Its own redis-server, to stop, even where REDIS_URL points the other tests at a shared one;
  // persistent, so that a session alive after the restart was alive before it.
  const redisServer = await RedisServer.start({ persistent: true })
  t.teardown(async () => await redisServer.destroy())
  const { app } = await buildTestApp(t, { redisServer })
  const user = await createUser(app)
  const caller = await logIn(app, user)
  const other = await logIn(app, user)
  // Served from the near-cache: the check passes, the revoke-all meets the outage.
  t.equal((await me(app, caller.token)).statusCode, 200)

  await redisServer.stop()
  assertError(t, await logoutOthers(app, caller.token), 503, '1503', 'Redis down')
  await redisServer.restart()
  await waitUntilReady(app)
  t.equal((await me(app, other.token)).statusCode, 200, 'the other session lives, once Redis is back')
  t.same((await logoutOthers(app, caller.token)).json(), { result: 'success', revoked: 1 }, 'the retry ends it')
})
