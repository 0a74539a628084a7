import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import t from 'tap'
import { SESSION_FIELDS, type SessionField } from '../../src/sessions/session-fields.js'
import { buildTestApp } from '../helpers/build-app.js'
import { TestClock } from '../helpers/test-clock.js'
import { createAndLogIn, createUser, logIn, me, type LoggedIn } from '../helpers/sessions.js'
import { appOptions, forEachStrategy, refresh, refreshTokenOf, SLIDING, STRATEGIES_WITH_AND_WITHOUT_NEAR_CACHE } from '../helpers/strategies.js'

// Sessions stored with the long field names (and the raw User-Agent header) go on working:
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
  const legacy: Record<string, string> = { userId: String(session.userId), userAgent: FIREFOX_ON_WINDOWS }
  for (const [name, value] of Object.entries(hash)) legacy[LONG_NAME_OF.get(name) ?? name] ??= value
  const ttl = await app.redis.pttl(key)
  await app.redis.multi().del(key).hset(key, legacy).pexpire(key, ttl).exec()
  return legacy
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

  if (strategy.name === 'refresh') {
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
