import { randomInt, randomUUID } from 'node:crypto'
import { createSigner } from 'fast-jwt'
import type { LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { buildTestApp, TEST_JWT_SECRET } from '../helpers/build-app.js'
import { createAndLogIn, me, startSession, TEST_PASSWORD } from '../helpers/sessions.js'
import { appOptions, forEachStrategy, refresh } from '../helpers/strategies.js'

// Sessions of users of another user store (issue 25 §2): a user id is an integer 1..2^31-1 or a
// string of 1 to 64 characters A-Z a-z 0-9 _ -. Every answer carries the id as the session was
// started with it, a number as a number and a string as a string; `123` and `"123"` are one user.

const MS_PER_SECOND = 1000
const ACCESS_TOKEN_SECONDS = 600
const INVALID_BODY_IDS: readonly unknown[] = ['a b', '', 'x'.repeat(65), 'a.b', 'é', 0, -1, 2_147_483_648, 1.5, true, null, [1], {}]
const INVALID_PATH_IDS: readonly string[] = ['a%20b', 'x'.repeat(65), 'a.b', '%C3%A9', 'a%7Db']
// Signed with the server's own key: only the claim's shape is wrong.
const INVALID_CLAIM_IDS: readonly unknown[] = ['a b', '', 'x'.repeat(65), '{1}', 0, -1, 2_147_483_648, 1.5, true, null, [1], {}]

interface Me {
  userId: unknown
}

function errorCodeOf (res: LightMyRequestResponse): string {
  return res.json<{ errorCode: string }>().errorCode
}

// A random id of digits, far from the small ids this app's own users get.
function digitsId (): number {
  return randomInt(1_000_000_000, 2_147_483_647)
}

// The answer's userId as JSON text: a serializer that turned "123" into 123 would pass a loose check.
function assertUserIdAnswered (t: Test, res: LightMyRequestResponse, userId: string | number, what: string): void {
  t.equal(res.statusCode, 200, `${what}: ${res.body}`)
  t.strictSame(res.json<Me>().userId, userId, `${what}: userId ${JSON.stringify(userId)}, of its type`)
  t.ok(res.body.includes(`"userId":${JSON.stringify(userId)}`), `${what}: written as ${JSON.stringify(userId)}`)
}

forEachStrategy(t, async (t, strategy) => {
  const { app } = await buildTestApp(t, appOptions(strategy))
  const admin = await createAndLogIn(app, 'admin')

  async function adminRevoke (body: Record<string, unknown>): Promise<LightMyRequestResponse> {
    return await app.inject({ method: 'POST', url: '/admin/revoke', headers: { token: admin.token }, payload: body })
  }

  async function adminList (userIdText: string): Promise<LightMyRequestResponse> {
    return await app.inject({ method: 'GET', url: `/admin/users/${userIdText}/sessions`, headers: { token: admin.token } })
  }

  async function listedIds (res: LightMyRequestResponse): Promise<string[]> {
    return res.json<{ sessions: Array<{ id: string }> }>().sessions.map((session) => session.id).sort()
  }

  t.test('a session of a UUID: /auth/me, the session list, /auth/verify and logout', async (t) => {
    const userId = randomUUID()
    const phone = await startSession(app, userId, { deviceId: 'phone' })
    const laptop = await startSession(app, userId, { deviceId: 'laptop' })

    assertUserIdAnswered(t, await me(app, phone.token), userId, 'GET /auth/me')
    const listed = await app.inject({ method: 'GET', url: '/auth/sessions', headers: { token: phone.token } })
    t.equal(listed.statusCode, 200, listed.body)
    t.same(await listedIds(listed), [laptop.sessionId, phone.sessionId].sort(), 'both sessions listed')
    const verified = await app.inject({ method: 'GET', url: '/auth/verify', headers: { token: phone.token } })
    t.equal(verified.statusCode, 204, verified.body)
    t.equal(verified.headers['x-user-id'], userId, 'x-user-id carries the string')

    if (strategy.refresh) {
      const refreshed = await refresh(app, laptop.refreshToken ?? '')
      assertUserIdAnswered(t, refreshed, userId, 'POST /auth/refresh')
      assertUserIdAnswered(t, await me(app, refreshed.json<{ token: string }>().token), userId, 'GET /auth/me with the refreshed token')
    }

    const loggedOut = await app.inject({ method: 'POST', url: '/auth/logout', headers: { token: phone.token } })
    t.equal(loggedOut.statusCode, 200, loggedOut.body)
    const after = await me(app, phone.token)
    t.equal(after.statusCode, 401, after.body)
    t.match(after.json(), { errorCode: '1002', reason: 'logout' }, 'the logged-out session is ended')
    t.equal((await me(app, laptop.token)).statusCode, 200, 'the other session lives on')
  })

  t.test('"123" and 123 are one user; each session answers the id it was started with', async (t) => {
    const number = digitsId()
    const digits = String(number)
    const asString = await startSession(app, digits)
    const asNumber = await startSession(app, number)

    assertUserIdAnswered(t, await me(app, asString.token), digits, 'the session started with the string')
    assertUserIdAnswered(t, await me(app, asNumber.token), number, 'the session started with the number')
    const listed = await app.inject({ method: 'GET', url: '/auth/sessions', headers: { token: asNumber.token } })
    t.same(await listedIds(listed), [asString.sessionId, asNumber.sessionId].sort(), 'one session list holds both')
    t.same(await listedIds(await adminList(digits)), [asString.sessionId, asNumber.sessionId].sort(), 'and so does the admin\'s')

    if (strategy.refresh) {
      assertUserIdAnswered(t, await refresh(app, asString.refreshToken ?? ''), digits, 'a refresh of the string\'s session')
      assertUserIdAnswered(t, await refresh(app, asNumber.refreshToken ?? ''), number, 'a refresh of the number\'s session')
    }

    const revoked = await adminRevoke({ userId: digits })
    t.equal(revoked.statusCode, 200, revoked.body)
    t.same(revoked.json(), { result: 'success', revoked: 2 }, 'revoking "123" ends the sessions of 123 too')
    for (const session of [asString, asNumber]) {
      t.match((await me(app, session.token)).json(), { errorCode: '1002', reason: 'admin' }, `the ${typeof session.userId}'s session ended`)
    }
  })

  t.test('the admin routes name a user of another store', async (t) => {
    const userId = randomUUID()
    const session = await startSession(app, userId)
    const listed = await adminList(userId)
    t.equal(listed.statusCode, 200, listed.body)
    t.same(await listedIds(listed), [session.sessionId], 'GET /admin/users/<uuid>/sessions lists it')

    const revoked = await adminRevoke({ userId })
    t.equal(revoked.statusCode, 200, revoked.body)
    t.same(revoked.json(), { result: 'success', revoked: 1 })
    t.match((await me(app, session.token)).json(), { errorCode: '1002', reason: 'admin' }, 'the session ended by the admin')
    t.same(await listedIds(await adminList(userId)), [], 'nothing left to list')
  })

  t.test('an id of neither kind is refused with 400 "1400"', async (t) => {
    for (const userId of INVALID_BODY_IDS) {
      const res = await adminRevoke({ userId })
      t.equal(res.statusCode, 400, `POST /admin/revoke {userId: ${JSON.stringify(userId)}}: ${res.body}`)
      t.equal(errorCodeOf(res), '1400', `userId ${JSON.stringify(userId)}`)
    }
    t.match(await adminRevoke({ userId: 'a b' }).then((res) => res.json<{ info: string }>().info),
      /must be 1 to 64 characters A-Z a-z 0-9 _ -/, 'the pattern said in words')
    for (const userIdText of INVALID_PATH_IDS) {
      const res = await adminList(userIdText)
      t.equal(res.statusCode, 400, `GET /admin/users/${userIdText}/sessions: ${res.body}`)
      t.equal(errorCodeOf(res), '1400', `path ${userIdText}`)
    }
  })

  t.test('a token signed with the server\'s key whose userId is neither kind answers 1001', async (t) => {
    const live = await startSession(app, randomUUID())
    const iat = Math.floor(Date.now() / MS_PER_SECOND)
    for (const userId of INVALID_CLAIM_IDS) {
      const token = createSigner({ key: TEST_JWT_SECRET })({ userId, userType: 'user', sid: live.sessionId, iat, auth_time: iat, exp: iat + ACCESS_TOKEN_SECONDS })
      const res = await me(app, token)
      t.equal(res.statusCode, 401, `userId ${JSON.stringify(userId)}: ${res.body}`)
      t.equal(errorCodeOf(res), '1001', `userId ${JSON.stringify(userId)}: the claims are refused`)
    }
    t.equal((await me(app, live.token)).statusCode, 200, 'the borrowed session is untouched')
  })

  t.test('a session of a UUID keeps notes, and has no password of this server to change', async (t) => {
    const session = await startSession(app, randomUUID())
    const other = await startSession(app, randomUUID())
    const created = await app.inject({ method: 'POST', url: '/notes', headers: { token: session.token }, payload: { text: 'from another login' } })
    t.equal(created.statusCode, 201, created.body)
    const listed = await app.inject({ method: 'GET', url: '/notes', headers: { token: session.token } })
    t.equal(listed.statusCode, 200, listed.body)
    t.same(listed.json<{ notes: Array<{ text: string }> }>().notes.map((note) => note.text), ['from another login'], 'its note is listed')
    const others = await app.inject({ method: 'GET', url: '/notes', headers: { token: other.token } })
    t.same(others.json<{ notes: unknown[] }>().notes, [], 'another user of that store sees none of it')

    const changed = await app.inject({
      method: 'POST',
      url: '/auth/password',
      headers: { token: session.token },
      payload: { oldPassword: TEST_PASSWORD, newPassword: `${TEST_PASSWORD}!` }
    })
    t.equal(changed.statusCode, 404, changed.body)
    t.equal(errorCodeOf(changed), '1404', 'no such user in this server\'s table: 404, not a database error')
    t.equal((await me(app, session.token)).statusCode, 200, 'the session lives on')
  })
})

// Library code gets ids from its callers' code, not through a schema.
t.test('app.sessions throws for an id of neither kind', async (t) => {
  const { app } = await buildTestApp(t)
  for (const userId of ['a b', '', 'x'.repeat(65), 0, 1.5, 2_147_483_648]) {
    await t.rejects(app.sessions.start({ userId, ip: '127.0.0.1' }), { code: 'AUTH_1400', message: /userId must be/ }, `start(${JSON.stringify(userId)})`)
    await t.rejects(app.sessions.endAll(userId), { code: 'AUTH_1400' }, `endAll(${JSON.stringify(userId)})`)
    await t.rejects(app.sessions.list(userId), { code: 'AUTH_1400' }, `list(${JSON.stringify(userId)})`)
  }
  t.same(await app.redis.keys(`${app.config.REDIS_KEY_PREFIX}*`), [], 'nothing was written')
})
