import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import t from 'tap'
import { SESSION_FIELDS, type SessionField } from '../../src/sessions/session-fields.js'
import { buildTestApp } from '../helpers/build-app.js'
import { TestClock } from '../helpers/test-clock.js'
import { createAndLogIn, createUser, logIn, me, type LoggedIn } from '../helpers/sessions.js'
import { appOptions, forEachStrategy, refresh, refreshTokenOf, SLIDING, STRATEGIES_WITH_AND_WITHOUT_NEAR_CACHE } from '../helpers/strategies.js'

// Sessions stored with the long field names (and the raw User-Agent header), and those the previous
// release stored in one-letter names (account, "last seen" as a time, text label and address), go on working:
// every request, listing, revoke and refresh reads them, and writes them in their own names.

const FIREFOX_ON_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0'
const RENEWED_HEADER = 'x-renewed-token'
const MS_PER_SECOND = 1000

function sessionKey (app: FastifyInstance, session: LoggedIn): string {
  return `${app.config.REDIS_KEY_PREFIX}ACCESS_TOKEN:{${session.userId}}:${session.sessionId}`
}

const LONG_NAME_OF = new Map<string, SessionField>(Object.entries(SESSION_FIELDS).map(([field, name]) => [name, field as SessionField]))

// Rewrites a session as a release with long field names left it: same TTL, same token.
async function storeWithLongNames (app: FastifyInstance, session: LoggedIn): Promise<Record<string, string>> {
  const key = sessionKey(app, session)
  const hash = await app.redis.hgetall(key)
  const legacy: Record<string, string> = { userId: String(session.userId), userType: 'user', account: session.account, userAgent: FIREFOX_ON_WINDOWS }
  for (const [name, value] of Object.entries(hash)) legacy[LONG_NAME_OF.get(name) ?? name] ??= value
  const ttl = await app.redis.pttl(key)
  await app.redis.multi().del(key).hset(key, legacy).pexpire(key, ttl).exec()
  return legacy
}

// What the release before lastSeenAfterLogin stored, in one-letter names: the user type and the
// account always, "last seen" as a time, the label and the address as text.
const PREVIOUS_RELEASE_ACCOUNT = 'stored-by-the-previous-release@example.com'
const PREVIOUS_RELEASE_LABEL = 'Firefox 133 on Windows'

async function storeAsPreviousRelease (app: FastifyInstance, session: LoggedIn, lastSeenAt?: number): Promise<Record<string, string>> {
  const key = sessionKey(app, session)
  const { l: loginAt = '', d: deviceId, ...rest } = await app.redis.hgetall(key)
  const refreshFields = Object.fromEntries(Object.entries(rest).filter(([name]) => name.length > 1))
  const previous: Record<string, string> = {
    ...refreshFields,
    t: 'user',
    a: PREVIOUS_RELEASE_ACCOUNT,
    l: loginAt,
    u: PREVIOUS_RELEASE_LABEL,
    i: '127.0.0.1',
    ...(deviceId === undefined ? {} : { d: deviceId }),
    ...(lastSeenAt === undefined ? {} : { s: String(lastSeenAt) })
  }
  const ttl = await app.redis.pttl(key)
  await app.redis.multi().del(key).hset(key, previous).pexpire(key, ttl).exec()
  return previous
}

function oneLetterFieldsOf (hash: Record<string, string>): string[] {
  return Object.keys(hash).filter((name) => LONG_NAME_OF.has(name))
}

forEachStrategy(t, async (t, strategy) => {
  const { app } = await buildTestApp(t, appOptions(strategy))

  t.test('a request, the session list and a revoke by device read the long names', async (t) => {
    const user = await createUser(app)
    const phone = await logIn(app, user, 'phone')
    const laptop = await logIn(app, user, 'laptop')
    await storeWithLongNames(app, phone)

    const res = await me(app, phone.token)
    t.equal(res.statusCode, 200, res.body)
    t.equal(res.json<{ account: string }>().account, user.account, 'the account read from the long name')
    const hash = await app.redis.hgetall(sessionKey(app, phone))
    t.ok(Number(hash.lastSeenAt) > 0, '"last seen" written under its long name')
    t.same(oneLetterFieldsOf(hash), [], 'and no one-letter field added beside the long ones')

    const listed = await app.inject({ method: 'GET', url: '/auth/sessions', headers: { token: laptop.token } })
    const { sessions } = listed.json<{ sessions: Array<{ id: string, deviceId: string, userAgent: string, ip: string, loginAt: number }> }>()
    const old = sessions.find((session) => session.id === phone.sessionId)
    t.match(old, { deviceId: 'phone', userAgent: FIREFOX_ON_WINDOWS, ip: '127.0.0.1', loginAt: Number(hash.loginAt) },
      'listed with what it holds, the whole header included')

    const admin = await createAndLogIn(app, 'admin')
    const revoked = await app.inject({
      method: 'POST', url: '/admin/revoke', headers: { token: admin.token }, payload: { userId: user.userId, deviceId: 'phone' }
    })
    t.same(revoked.json(), { result: 'success', revoked: 1 }, 'found by its deviceId under the long name')
    t.match((await me(app, phone.token)).json(), { errorCode: '1002', reason: 'admin' })
    t.equal((await me(app, laptop.token)).statusCode, 200, 'the other device lives on')
  })

  t.test('a session the previous release stored (its account, "last seen" as a time, text label and address) is read and kept in its format', async (t) => {
    const user = await createUser(app)
    const phone = await logIn(app, user, 'phone')
    const laptop = await logIn(app, user, 'laptop')
    const seenBefore = Date.now() - 5 * 60_000
    const previous = await storeAsPreviousRelease(app, phone, seenBefore)

    const listed = await app.inject({ method: 'GET', url: '/auth/sessions', headers: { token: laptop.token } })
    const old = listed.json<{ sessions: Array<{ id: string }> }>().sessions.find((session) => session.id === phone.sessionId)
    t.match(old, { deviceId: 'phone', userAgent: PREVIOUS_RELEASE_LABEL, ip: '127.0.0.1', loginAt: Number(previous.l), lastSeenAt: seenBefore },
      'listed with what it holds')

    const res = await me(app, phone.token)
    t.equal(res.statusCode, 200, res.body)
    t.equal(res.json<{ account: string }>().account, PREVIOUS_RELEASE_ACCOUNT, 'the account the session stores')
    const hash = await app.redis.hgetall(sessionKey(app, phone))
    t.ok(Number(hash.s) > seenBefore, '"last seen" written as a time, in its own field')
    t.equal(hash.w, undefined, 'and not after the login beside it')
    t.same([hash.t, hash.a, hash.u, hash.i], ['user', PREVIOUS_RELEASE_ACCOUNT, PREVIOUS_RELEASE_LABEL, '127.0.0.1'], 'the rest as it was')

    const admin = await createAndLogIn(app, 'admin')
    const revoked = await app.inject({
      method: 'POST', url: '/admin/revoke', headers: { token: admin.token }, payload: { userId: user.userId, deviceId: 'phone' }
    })
    t.same(revoked.json(), { result: 'success', revoked: 1 }, 'found by its deviceId')
    t.match((await me(app, phone.token)).json(), { errorCode: '1002', reason: 'admin' })
  })

  t.test('a session the previous release stored and nobody used yet gets "last seen" after its login, the one form it then holds', async (t) => {
    const session = await createAndLogIn(app)
    await storeAsPreviousRelease(app, session)
    t.equal((await me(app, session.token)).statusCode, 200)
    const hash = await app.redis.hgetall(sessionKey(app, session))
    t.ok(Number(hash.w) >= 0, '"last seen" as ms after the login')
    t.equal(hash.s, undefined, 'and no time beside it')
    const listed = await app.inject({ method: 'GET', url: '/auth/sessions', headers: { token: session.token } })
    t.equal(listed.json<{ sessions: Array<{ lastSeenAt: number }> }>().sessions[0]?.lastSeenAt, Number(hash.l) + Number(hash.w), 'listed as a time')
  })

  t.test('a session the previous release touched during a rolling upgrade ("last seen" both after the login and as a time) is last seen at the later', async (t) => {
    const session = await createAndLogIn(app)
    t.equal((await me(app, session.token)).statusCode, 200)
    const key = sessionKey(app, session)
    const { l: loginAt, w: afterLogin } = await app.redis.hgetall(key)
    const seenAfterLogin = Number(loginAt) + Number(afterLogin)
    const lastSeenListed = async (): Promise<number | undefined> => (await app.inject({ method: 'GET', url: '/auth/sessions', headers: { token: session.token } }))
      .json<{ sessions: Array<{ lastSeenAt: number }> }>().sessions[0]?.lastSeenAt
    await app.redis.hset(key, SESSION_FIELDS.lastSeenAt, String(seenAfterLogin - 60_000))
    t.equal(await lastSeenListed(), seenAfterLogin, 'an older time: the offset is "last seen"')
    const seenLater = Date.now() + 60_000
    await app.redis.hset(key, SESSION_FIELDS.lastSeenAt, String(seenLater))
    t.equal(await lastSeenListed(), seenLater, 'a later time, as the previous release writes it: the time')
  })

  if (strategy.name === 'refresh') {
    t.test('a refresh reads the login time and user type the previous release stored', async (t) => {
      const session = await createAndLogIn(app)
      await storeAsPreviousRelease(app, session)
      const refreshed = await refresh(app, refreshTokenOf(session.response))
      t.equal(refreshed.statusCode, 200, refreshed.body)
      t.equal((await me(app, refreshed.json<{ token: string }>().token)).statusCode, 200, 'the new access token works')
    })

    t.test('a refresh reads the login time and user type from the long names', async (t) => {
      const session = await createAndLogIn(app)
      await storeWithLongNames(app, session)
      const refreshed = await refresh(app, refreshTokenOf(session.response))
      t.equal(refreshed.statusCode, 200, refreshed.body)
      const token = refreshed.json<{ token: string }>().token
      t.equal((await me(app, token)).statusCode, 200, 'the new access token works')
      t.same(oneLetterFieldsOf(await app.redis.hgetall(sessionKey(app, session))), [])
    })
  }
}, STRATEGIES_WITH_AND_WITHOUT_NEAR_CACHE)

t.test('a reissue writes the token bookkeeping under the long names', async (t) => {
  const clock = new TestClock()
  const { app } = await buildTestApp(t, { ...appOptions(SLIDING, { SESSION_ROTATE_AFTER: '1', SESSION_ROTATE_GRACE: '30' }), clock: clock.now })
  const session = await createAndLogIn(app)
  const stored = await storeWithLongNames(app, session)
  t.ok(stored.tokenIat, 'the session tracks its current token')

  // The token is due once SESSION_ROTATE_AFTER (1 s) has passed since its iat.
  clock.advanceTo((Number(stored.tokenIat) + 1) * MS_PER_SECOND)
  const res: LightMyRequestResponse = await me(app, session.token)
  t.equal(res.statusCode, 200, res.body)
  const renewed = res.headers[RENEWED_HEADER]
  t.type(renewed, 'string', 'a renewed token is handed out')
  const hash = await app.redis.hgetall(sessionKey(app, session))
  t.equal(hash.previousTokenIat, stored.tokenIat, 'the replaced token, under its long name')
  t.ok(Number(hash.tokenIat) > Number(stored.tokenIat), 'the current token, under its long name')
  t.same(oneLetterFieldsOf(hash), [])
  t.equal((await me(app, String(renewed))).statusCode, 200, 'the renewed token works')
  t.equal((await me(app, session.token)).statusCode, 200, 'the replaced one too, within the grace window')
})
