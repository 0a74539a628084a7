import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { SESSION_FIELDS } from '../../src/sessions/session-fields.js'
import { buildTestApp } from '../helpers/build-app.js'
import { createAndLogIn, createUser, logIn, me, TEST_PASSWORD, type LoggedIn } from '../helpers/sessions.js'

// SESSION_SLIDING=false in the sliding strategy: a session lives SESSION_TTL from its login,
// whatever it does meanwhile, and can still be ended at any time.

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

async function sleepUntil (epochMs: number): Promise<void> {
  await sleep(Math.max(0, epochMs - Date.now()))
}

function renewedTokenOf (res: LightMyRequestResponse): string | undefined {
  const value = res.headers['x-renewed-token']
  return typeof value === 'string' ? value : undefined
}

function ended (reason: string): object {
  return { code: 0, errorCode: '1002', info: `Session has ended (${reason})`, reason }
}

// A PGlite database takes seconds to open: subtests with the same settings share one app.
t.test('SESSION_SLIDING=false, SESSION_TTL=5', async (t) => {
  const TTL_SECONDS = 5
  const { app } = await buildTestApp(t, { env: { SESSION_SLIDING: 'false', SESSION_TTL: String(TTL_SECONDS) } })

  t.test('requests do not reset the TTL: it keeps running down from the login', async (t) => {
    const session = await createAndLogIn(app)
    const atLogin = await pttl(app, session)
    t.ok(atLogin > TTL_SECONDS * MS_PER_SECOND - 500 && atLogin <= TTL_SECONDS * MS_PER_SECOND,
      `TTL at login is SESSION_TTL (${atLogin} ms)`)

    await sleep(1200)
    t.equal((await me(app, session.token)).statusCode, 200)
    const afterRequest = await pttl(app, session)
    t.ok(afterRequest > 0 && afterRequest < TTL_SECONDS * MS_PER_SECOND - 1000,
      `the request did not reset the TTL (${afterRequest} ms)`)

    await sleep(300)
    t.equal((await me(app, session.token)).statusCode, 200)
    const afterSecond = await pttl(app, session)
    t.ok(afterSecond < afterRequest, `nor did the next one (${afterSecond} < ${afterRequest} ms)`)
  })

  t.test('the first request records lastSeenAt without extending the session', async (t) => {
    const session = await createAndLogIn(app)
    const key = sessionKey(app, session)
    t.equal(await app.redis.hexists(key, SESSION_FIELDS.lastSeenAt), 0, 'not seen yet at login')
    // Late enough that a TTL reset would show as a later expiry.
    await sleep(600)
    const before = Date.now()
    t.equal((await me(app, session.token)).statusCode, 200)
    const after = Date.now()
    const lastSeenAt = Number(await app.redis.hget(key, SESSION_FIELDS.lastSeenAt))
    t.ok(lastSeenAt >= before && lastSeenAt <= after, `lastSeenAt is the request time (${lastSeenAt})`)
    const expiresAt = Date.now() + await pttl(app, session)
    const loginAt = await loginAtOf(app, session)
    t.ok(Math.abs(expiresAt - (loginAt + TTL_SECONDS * MS_PER_SECOND)) < 250, 'the session still ends SESSION_TTL after its login')

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
  const TTL_SECONDS = 5
  const { app } = await buildTestApp(t, { env: { SESSION_SLIDING: 'true', SESSION_TTL: String(TTL_SECONDS) } })
  const session = await createAndLogIn(app)
  await sleep(1200)
  t.ok(await pttl(app, session) < TTL_SECONDS * MS_PER_SECOND - 1000, 'the TTL ran down while idle')
  t.equal((await me(app, session.token)).statusCode, 200)
  const afterRequest = await pttl(app, session)
  t.ok(afterRequest > TTL_SECONDS * MS_PER_SECOND - 500, `the request reset the TTL (${afterRequest} ms)`)
})

t.test('the session ends SESSION_TTL after the login however active it is: 1002 "expired"', async (t) => {
  const TTL_SECONDS = 2
  const { app } = await buildTestApp(t, { env: { SESSION_SLIDING: 'false', SESSION_TTL: String(TTL_SECONDS) } })
  const session = await createAndLogIn(app)
  const endsAt = await loginAtOf(app, session) + TTL_SECONDS * MS_PER_SECOND

  let answered = 0
  let failures = 0
  while (Date.now() < endsAt - 600) {
    const res = await me(app, session.token)
    answered++
    if (res.statusCode !== 200) failures++
    await sleep(400)
  }
  t.equal(failures, 0, `every request until then succeeded (${answered} requests)`)
  t.ok(answered >= 2, 'the session was in use')

  await sleepUntil(endsAt + 300)
  const res = await me(app, session.token)
  t.equal(res.statusCode, 401)
  t.same(res.json(), ended('expired'))
})

t.test('a reissued token does not extend a fixed lifetime', async (t) => {
  const TTL_SECONDS = 3
  const { app } = await buildTestApp(t, {
    env: { SESSION_SLIDING: 'false', SESSION_TTL: String(TTL_SECONDS), SESSION_ROTATE_AFTER: '1', SESSION_ROTATE_GRACE: '30' }
  })
  const session = await createAndLogIn(app)
  const endsAt = await loginAtOf(app, session) + TTL_SECONDS * MS_PER_SECOND
  const iat = JSON.parse(Buffer.from(session.token.split('.')[1] ?? '', 'base64url').toString()).iat as number

  // Late enough that a TTL reset would show as a later expiry.
  await sleepUntil(Math.max((iat + 1) * MS_PER_SECOND, endsAt - TTL_SECONDS * MS_PER_SECOND + 1000) + 60)
  const reissue = await me(app, session.token)
  t.equal(reissue.statusCode, 200)
  const renewed = renewedTokenOf(reissue)
  t.type(renewed, 'string', 'the token was reissued')
  const expiresAt = Date.now() + await pttl(app, session)
  t.ok(Math.abs(expiresAt - endsAt) < 250, `the session still ends SESSION_TTL after its login (${expiresAt - endsAt} ms off)`)
  if (renewed === undefined) return

  await sleepUntil(endsAt + 300)
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
