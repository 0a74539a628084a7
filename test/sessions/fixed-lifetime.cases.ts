import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import t from 'tap'
import { SESSION_FIELDS } from '../../src/sessions/session-fields.js'
import { buildTestApp } from '../helpers/build-app.js'
import { createAndLogIn, createUser, expireKeyNow, logIn, me, TEST_PASSWORD, type LoggedIn } from '../helpers/sessions.js'
import { TestClock } from '../helpers/test-clock.js'
import { storedLastSeenAt } from '../helpers/stored-session.js'

// SESSION_SLIDING=false in the sliding strategy: a session lives SESSION_TTL from its login,
// whatever it does meanwhile, and can still be ended at any time. Nothing here waits: time
// passing for a session's key is a shorter TTL set with PEXPIRE, as if it had run down.

const MS_PER_SECOND = 1000
const NEW_PASSWORD = 'a different long passphrase'

function sessionKey (app: FastifyInstance, session: Pick<LoggedIn, 'userId' | 'sessionId'>): string {
  return `${app.config.REDIS_KEY_PREFIX}ACCESS_TOKEN:{${session.userId}}:${session.sessionId}`
}

async function pttl (app: FastifyInstance, session: LoggedIn): Promise<number> {
  return await app.redis.pttl(sessionKey(app, session))
}

async function loginAtOf (app: FastifyInstance, session: LoggedIn): Promise<number> {
  return Number(await app.redis.hget(sessionKey(app, session), SESSION_FIELDS.loginAt))
}

// As if `ms` had passed for the session's key: its TTL runs down by that much.
async function runDown (app: FastifyInstance, session: LoggedIn, ms: number): Promise<number> {
  const ttl = await pttl(app, session) - ms
  await app.redis.pexpire(sessionKey(app, session), ttl)
  return ttl
}

function renewedTokenOf (res: LightMyRequestResponse): string | undefined {
  const value = res.headers['x-renewed-token']
  return typeof value === 'string' ? value : undefined
}

function ended (reason: string): object {
  return { code: 0, errorCode: '1002', info: `Session has ended (${reason})`, reason }
}

// A PGlite database takes seconds to open: subtests with the same settings share one app.
t.test('SESSION_SLIDING=false, SESSION_TTL=60', async (t) => {
  const TTL_SECONDS = 60
  const clock = new TestClock()
  const { app } = await buildTestApp(t, { env: { SESSION_SLIDING: 'false', SESSION_TTL: String(TTL_SECONDS) }, clock: clock.now })

  t.test('requests do not reset the TTL: it keeps running down from the login', async (t) => {
    const session = await createAndLogIn(app)
    const atLogin = await pttl(app, session)
    t.ok(atLogin > TTL_SECONDS * MS_PER_SECOND - 500 && atLogin <= TTL_SECONDS * MS_PER_SECOND,
      `TTL at login is SESSION_TTL (${atLogin} ms)`)

    clock.advance(20_000)
    const ranDown = await runDown(app, session, 20_000)
    t.equal((await me(app, session.token)).statusCode, 200)
    const afterRequest = await pttl(app, session)
    t.ok(afterRequest > 0 && afterRequest <= ranDown, `the request did not reset the TTL (${afterRequest} ms)`)

    clock.advance(20_000)
    const ranDownAgain = await runDown(app, session, 20_000)
    t.equal((await me(app, session.token)).statusCode, 200)
    const afterSecond = await pttl(app, session)
    t.ok(afterSecond > 0 && afterSecond <= ranDownAgain, `nor did the next one (${afterSecond} ms)`)
  })

  t.test('the first request records lastSeenAt without extending the session', async (t) => {
    const session = await createAndLogIn(app)
    const key = sessionKey(app, session)
    t.equal(await storedLastSeenAt(app.redis, key), null, 'not seen yet at login')
    // Late enough that a TTL reset would show as a later expiry.
    clock.advance(10_000)
    const ranDown = await runDown(app, session, 10_000)
    t.equal((await me(app, session.token)).statusCode, 200)
    const lastSeenAt = await storedLastSeenAt(app.redis, key)
    t.equal(lastSeenAt, clock.now(), 'lastSeenAt is the request time')
    t.equal(await loginAtOf(app, session), clock.now() - 10_000, 'loginAt is the login time')
    const afterRequest = await pttl(app, session)
    t.ok(afterRequest > 0 && afterRequest <= ranDown, `the session still ends SESSION_TTL after its login (${afterRequest} ms left)`)

    const list = await app.inject({ method: 'GET', url: '/auth/sessions', headers: { token: session.token } })
    t.equal(list.statusCode, 200)
    t.equal(list.json().sessions[0]?.lastSeenAt, lastSeenAt, 'the session list shows it')
  })

  t.test('logout still ends the session at once', async (t) => {
    const session = await createAndLogIn(app)
    t.equal((await me(app, session.token)).statusCode, 200)
    const logout = await app.inject({ method: 'POST', url: '/auth/logout', headers: { token: session.token } })
    t.equal(logout.statusCode, 200)
    const res = await me(app, session.token)
    t.equal(res.statusCode, 401)
    t.same(res.json(), ended('logout'))
  })

  t.test('a password change still ends every session', async (t) => {
    const user = await createUser(app)
    const laptop = await logIn(app, user, 'laptop')
    const phone = await logIn(app, user, 'phone')
    const change = await app.inject({
      method: 'POST',
      url: '/auth/password',
      headers: { token: laptop.token },
      payload: { oldPassword: TEST_PASSWORD, newPassword: NEW_PASSWORD }
    })
    t.equal(change.statusCode, 200)
    const fresh = change.json<{ token: string, sessionId: string }>()

    for (const [name, session] of [['laptop', laptop], ['phone', phone]] as const) {
      const res = await me(app, session.token)
      t.equal(res.statusCode, 401, `the ${name} session ended`)
      t.same(res.json(), ended('password_changed'))
    }
    t.equal((await me(app, fresh.token)).statusCode, 200, 'the session started by the change works')
    const freshTtl = await app.redis.pttl(sessionKey(app, { userId: user.userId, sessionId: fresh.sessionId }))
    t.ok(freshTtl > 0 && freshTtl <= TTL_SECONDS * MS_PER_SECOND, `and has a fixed lifetime of its own (${freshTtl} ms)`)
  })
})

t.test('control: with SESSION_SLIDING=true the same request resets the TTL', async (t) => {
  const TTL_SECONDS = 60
  const { app } = await buildTestApp(t, { env: { SESSION_SLIDING: 'true', SESSION_TTL: String(TTL_SECONDS) } })
  const session = await createAndLogIn(app)
  await runDown(app, session, 20_000)
  t.equal((await me(app, session.token)).statusCode, 200)
  const afterRequest = await pttl(app, session)
  t.ok(afterRequest > TTL_SECONDS * MS_PER_SECOND - 500, `the request reset the TTL (${afterRequest} ms)`)
})

t.test('the session ends SESSION_TTL after the login however active it is: 1002 "expired"', async (t) => {
  const TTL_SECONDS = 60
  const STEP_MS = 10_000
  const { app } = await buildTestApp(t, { env: { SESSION_SLIDING: 'false', SESSION_TTL: String(TTL_SECONDS) } })
  const session = await createAndLogIn(app)

  // A request every 10 s of the minute: none of them moves the end.
  let answered = 0
  let failures = 0
  let extended = 0
  for (let left = TTL_SECONDS * MS_PER_SECOND - STEP_MS; left > 0; left -= STEP_MS) {
    const ranDown = await runDown(app, session, STEP_MS)
    const res = await me(app, session.token)
    answered++
    if (res.statusCode !== 200) failures++
    if (await pttl(app, session) > ranDown) extended++
  }
  t.equal(failures, 0, `every request until then succeeded (${answered} requests)`)
  t.equal(extended, 0, 'none extended the session')

  await expireKeyNow(app, sessionKey(app, session))
  const res = await me(app, session.token)
  t.equal(res.statusCode, 401)
  t.same(res.json(), ended('expired'))
})

t.test('a reissued token does not extend a fixed lifetime', async (t) => {
  const TTL_SECONDS = 60
  const clock = new TestClock()
  const { app } = await buildTestApp(t, {
    env: { SESSION_SLIDING: 'false', SESSION_TTL: String(TTL_SECONDS), SESSION_ROTATE_AFTER: '1', SESSION_ROTATE_GRACE: '30' },
    clock: clock.now
  })
  const session = await createAndLogIn(app)
  const iat = JSON.parse(Buffer.from(session.token.split('.')[1] ?? '', 'base64url').toString()).iat as number

  // Late enough that a TTL reset would show as a later expiry.
  clock.advanceTo((iat + 10) * MS_PER_SECOND)
  const ranDown = await runDown(app, session, 10_000)
  const reissue = await me(app, session.token)
  t.equal(reissue.statusCode, 200)
  const renewed = renewedTokenOf(reissue)
  t.type(renewed, 'string', 'the token was reissued')
  const afterReissue = await pttl(app, session)
  t.ok(afterReissue > 0 && afterReissue <= ranDown, `the session still ends SESSION_TTL after its login (${afterReissue} ms left)`)
  if (renewed === undefined) return

  await expireKeyNow(app, sessionKey(app, session))
  const res = await me(app, renewed)
  t.equal(res.statusCode, 401)
  t.same(res.json(), ended('expired'), 'the renewed token ends with the session')
})

t.test('a fixed lifetime stops at the absolute deadline', async (t) => {
  const { app } = await buildTestApp(t, {
    env: { SESSION_SLIDING: 'false', SESSION_TTL: '100', SESSION_MAX_LIFETIME: '2' }
  })
  const session = await createAndLogIn(app)
  const atLogin = await pttl(app, session)
  t.ok(atLogin > 0 && atLogin <= 2000, `TTL at login is capped at SESSION_MAX_LIFETIME (${atLogin} ms)`)
  t.equal((await me(app, session.token)).statusCode, 200)
  t.ok(await pttl(app, session) <= atLogin, 'and a request does not extend it')
})
