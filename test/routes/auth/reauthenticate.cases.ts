import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import t from 'tap'
import { buildTestApp } from '../../helpers/build-app.js'
import { createAndLogIn, createUser, logIn, me, TEST_PASSWORD } from '../../helpers/sessions.js'
import { TestClock } from '../../helpers/test-clock.js'

// Issue 26 §4 on this server: authAt, POST /auth/reauthenticate, X-Auth-At and
// X-Require-Auth-Within on GET /auth/verify, and the admin routes' ADMIN_REAUTH_MAX_AGE.

const MS_PER_SECOND = 1000
const TEN_MINUTES_MS = 600_000
const PASSWORD_PER_SESSION = 3

async function reauthenticate (app: FastifyInstance, token: string, password: string): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'POST', url: '/auth/reauthenticate', headers: { token }, payload: { password } })
}

async function verify (app: FastifyInstance, token: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'GET', url: '/auth/verify', headers: { token, ...headers } })
}

async function authAtOf (app: FastifyInstance, token: string): Promise<unknown> {
  return (await me(app, token)).json<{ authAt: unknown }>().authAt
}

t.test('authAt, POST /auth/reauthenticate and GET /auth/verify', async (t) => {
  const clock = new TestClock()
  const { app } = await buildTestApp(t, { env: { RATE_LIMIT_PASSWORD_SESSION: String(PASSWORD_PER_SESSION) }, clock: clock.now })

  t.test('authAt is the login until the password is given again; /auth/me, the session list and X-Auth-At show it', async (t) => {
    const loginAt = clock.now()
    const session = await createAndLogIn(app)
    const other = await logIn(app, session)
    t.equal(await authAtOf(app, session.token), loginAt, '/auth/me: the login')
    t.equal((await verify(app, session.token)).headers['x-auth-at'], String(loginAt), 'X-Auth-At: the login')

    clock.advance(TEN_MINUTES_MS)
    const wrong = await reauthenticate(app, session.token, 'not the password')
    t.equal(wrong.statusCode, 403)
    t.same(wrong.json(), { code: 0, errorCode: '1010', info: 'Wrong password' })
    t.equal(await authAtOf(app, session.token), loginAt, 'a wrong password changes nothing')

    const right = await reauthenticate(app, session.token, TEST_PASSWORD)
    t.equal(right.statusCode, 200, right.body)
    t.same(right.json(), { result: 'success', authAt: clock.now() })
    t.equal(await authAtOf(app, session.token), clock.now(), '/auth/me at once (the near-cache had it)')
    t.equal((await verify(app, session.token)).headers['x-auth-at'], String(clock.now()), 'X-Auth-At too')
    const { sessions } = (await app.inject({ method: 'GET', url: '/auth/sessions', headers: { token: session.token } }))
      .json<{ sessions: Array<{ id: string, loginAt: number, authAt: number }> }>()
    t.match(sessions.find((view) => view.id === session.sessionId), { id: session.sessionId, loginAt, authAt: clock.now() }, 'the session list')
    t.match(sessions.find((view) => view.id === other.sessionId), { loginAt, authAt: loginAt }, 'and only this session of the user')
  })

  t.test('wrong passwords share the password-change budget of the session', async (t) => {
    const session = await createAndLogIn(app)
    const wrongChange = await app.inject({
      method: 'POST', url: '/auth/password', headers: { token: session.token }, payload: { oldPassword: 'not the password', newPassword: 'a new password 123' }
    })
    t.equal(wrongChange.statusCode, 403, 'a wrong old password at /auth/password')
    for (let attempt = 2; attempt <= PASSWORD_PER_SESSION; attempt++) {
      t.equal((await reauthenticate(app, session.token, 'not the password')).statusCode, 403, `wrong password ${attempt}`)
    }
    const over = await reauthenticate(app, session.token, TEST_PASSWORD)
    t.equal(over.statusCode, 429, 'over the budget: even the right password waits')
    t.equal(over.json<{ errorCode: string }>().errorCode, '1029')
    t.ok(Number(over.headers['retry-after']) > 0, 'with Retry-After')
    const changeOver = await app.inject({
      method: 'POST', url: '/auth/password', headers: { token: session.token }, payload: { oldPassword: TEST_PASSWORD, newPassword: 'a new password 123' }
    })
    t.equal(changeOver.statusCode, 429, 'and so does a password change in this session')
    const elsewhere = await logIn(app, session)
    t.equal((await reauthenticate(app, elsewhere.token, TEST_PASSWORD)).statusCode, 200, 'another session of the user has its own budget')
  })

  t.test('X-Require-Auth-Within: 403 "1005" with maxAge once the sign-in is older; the strictest value wins', async (t) => {
    const session = await createAndLogIn(app)
    t.equal((await verify(app, session.token, { 'x-require-auth-within': '600' })).statusCode, 204)
    clock.advance(600 * MS_PER_SECOND)
    t.equal((await verify(app, session.token, { 'x-require-auth-within': '600' })).statusCode, 204, 'exactly 600 s old')
    clock.advance(1)
    const stale = await verify(app, session.token, { 'x-require-auth-within': '600' })
    t.equal(stale.statusCode, 403)
    t.same(stale.json(), { code: 0, errorCode: '1005', info: 'Sign in again to do this: the last sign-in must be within 600 seconds', maxAge: 600 })
    t.equal(stale.headers['x-user-id'], undefined, 'no identity on the refusal')
    t.equal((await verify(app, session.token, { 'x-require-auth-within': '3600' })).statusCode, 204, 'a route allowing an hour')
    t.equal((await verify(app, session.token, { 'x-require-auth-within': '3600, 600' })).statusCode, 403, 'a copy with a smaller value wins')
    t.equal((await verify(app, session.token)).statusCode, 204, 'a route without the header')
    for (const value of ['0', '-5', '1.5', 'soon', '9999999999', '600, soon']) {
      const refused = await verify(app, session.token, { 'x-require-auth-within': value })
      t.equal(refused.statusCode, 400, `"${value}": ${refused.body}`)
    }
    t.equal((await reauthenticate(app, session.token, TEST_PASSWORD)).statusCode, 200)
    t.equal((await verify(app, session.token, { 'x-require-auth-within': '600' })).statusCode, 204, 'after POST /auth/reauthenticate')
  })

  t.test('a session of a user this server does not keep cannot re-authenticate here: 404', async (t) => {
    const started = await app.sessions.start({ userId: 'app-user-7' })
    const res = await reauthenticate(app, started.token, TEST_PASSWORD)
    t.equal(res.statusCode, 404, res.body)
  })

  t.test('an ended session cannot re-authenticate: 1002', async (t) => {
    const session = await createAndLogIn(app)
    await app.inject({ method: 'POST', url: '/auth/logout', headers: { token: session.token } })
    const res = await reauthenticate(app, session.token, TEST_PASSWORD)
    t.equal(res.statusCode, 401)
    t.equal(res.json<{ reason: string }>().reason, 'logout')
  })
})

t.test('the admin routes need a sign-in within ADMIN_REAUTH_MAX_AGE', async (t) => {
  const clock = new TestClock()

  t.test('default 900 s', async (t) => {
    const { app } = await buildTestApp(t, { clock: clock.now })
    const admin = await createAndLogIn(app, 'admin')
    const user = await createAndLogIn(app)
    const list = async (token: string): Promise<LightMyRequestResponse> =>
      await app.inject({ method: 'GET', url: `/admin/users/${user.userId}/sessions`, headers: { token } })
    t.equal((await list(admin.token)).statusCode, 200, 'just signed in')
    clock.advance(900 * MS_PER_SECOND + 1)
    const stale = await list(admin.token)
    t.equal(stale.statusCode, 403)
    t.match(stale.json(), { errorCode: '1005', maxAge: 900 })
    const revoke = await app.inject({ method: 'POST', url: '/admin/revoke', headers: { token: admin.token }, payload: { userId: user.userId } })
    t.equal(revoke.statusCode, 403, 'every admin route')
    t.equal((await me(app, user.token)).statusCode, 200, 'and nothing was revoked')
    t.equal((await list(user.token)).json<{ errorCode: string }>().errorCode, '1403', 'a user is told it is not an admin, not to sign in again')
    t.equal((await reauthenticate(app, admin.token, TEST_PASSWORD)).statusCode, 200)
    t.equal((await list(admin.token)).statusCode, 200, 'after the password again')
  })

  t.test('ADMIN_REAUTH_MAX_AGE=60', async (t) => {
    const { app } = await buildTestApp(t, { env: { ADMIN_REAUTH_MAX_AGE: '60' }, clock: clock.now })
    const admin = await createAndLogIn(app, 'admin')
    const user = await createUser(app)
    clock.advance(60 * MS_PER_SECOND + 1)
    const stale = await app.inject({ method: 'GET', url: `/admin/users/${user.userId}/sessions`, headers: { token: admin.token } })
    t.match(stale.json(), { errorCode: '1005', maxAge: 60 })
  })
})
