import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { sessionKeys } from '../../../src/sessions/session-keys.js'
import { buildTestApp } from '../../helpers/build-app.js'
import { RedisServer } from '../../helpers/redis-server.js'
import { createAndLogIn, type LoggedIn } from '../../helpers/sessions.js'
import { TestClock } from '../../helpers/test-clock.js'

const ROTATE_AFTER_SECONDS = 1
const MS_PER_SECOND = 1000

function verify (app: FastifyInstance, options: Partial<InjectOptions> = {}): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'GET', url: '/auth/verify', ...options })
}

function cookieOf (session: LoggedIn, name: string): string {
  const cookie = session.response.cookies.find((c) => c.name === name)
  if (cookie === undefined) throw new Error(`no ${name} cookie`)
  return cookie.value
}

function assertIdentity (t: Test, res: LightMyRequestResponse, session: LoggedIn, what: string, status = 204): void {
  t.equal(res.statusCode, status, `${what}: ${status} (${res.body})`)
  t.equal(res.body, '', `${what}: no body`)
  t.equal(res.headers['x-user-id'], String(session.userId), `${what}: X-User-Id`)
  t.equal(res.headers['x-user-type'], 'user', `${what}: X-User-Type`)
  t.equal(res.headers['x-session-id'], session.sessionId, `${what}: X-Session-Id`)
}

function assertError (t: Test, res: LightMyRequestResponse, statusCode: number, errorCode: string, reason?: string): void {
  t.equal(res.statusCode, statusCode, `status ${statusCode} (${res.body})`)
  const body = res.json<{ code: number, errorCode: string, reason?: string }>()
  t.equal(body.code, 0)
  t.equal(body.errorCode, errorCode)
  t.equal(body.reason, reason)
  t.equal(res.headers['x-user-id'], undefined, 'no identity on a refusal')
}

t.test('GET /auth/verify', async (t) => {
  const { app, config } = await buildTestApp(t, { env: { SESSION_TTL: '600' } })
  const keys = sessionKeys(config.REDIS_KEY_PREFIX)

  t.test('every token transport gets 204 with the identity headers', async (t) => {
    const session = await createAndLogIn(app)
    assertIdentity(t, await verify(app, { headers: { token: session.token } }), session, 'token header')
    assertIdentity(t, await verify(app, { headers: { authorization: `Bearer ${session.token}` } }), session, 'Bearer')
    assertIdentity(t, await verify(app, { cookies: { accessToken: session.token }, headers: { 'x-forwarded-method': 'GET' } }), session, 'cookie, GET')
  })

  t.test('the answers of every route: 1001 for no or a bad token, 1002 with the reason once logged out', async (t) => {
    assertError(t, await verify(app), 401, '1001')
    assertError(t, await verify(app, { headers: { token: 'not-a-token' } }), 401, '1001')
    const session = await createAndLogIn(app)
    const logout = await app.inject({ method: 'POST', url: '/auth/logout', headers: { token: session.token } })
    t.equal(logout.statusCode, 200)
    assertError(t, await verify(app, { headers: { token: session.token } }), 401, '1002', 'logout')
  })

  t.test('a verified request slides the session', async (t) => {
    const session = await createAndLogIn(app)
    const key = keys.session(session.userId, session.sessionId)
    // Older than the slide throttle (a tenth of the TTL): the next check extends it.
    await app.redis.pexpire(key, 500 * MS_PER_SECOND)
    assertIdentity(t, await verify(app, { headers: { token: session.token } }), session, 'header')
    await app.nearCache?.sync()
    const deadline = Date.now() + 5 * MS_PER_SECOND
    let ttl = await app.redis.pttl(key)
    // A cached session is slid off the response path: wait for it.
    while (ttl <= 500 * MS_PER_SECOND && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20))
      ttl = await app.redis.pttl(key)
    }
    t.ok(ttl > 590 * MS_PER_SECOND, `the TTL is back near SESSION_TTL (${ttl} ms)`)
  })

  t.test('a cookie needs the CSRF proof when the original method is unsafe or unknown', async (t) => {
    const session = await createAndLogIn(app)
    const cookies = { accessToken: session.token }
    const unsafeOrUnknown: Array<Record<string, string>> = [
      { 'x-forwarded-method': 'POST' }, { 'x-original-method': 'delete' }, {}, { 'x-forwarded-method': 'P O S T' },
      // A client's X-Forwarded-Method passed through beside the gateway's own X-Original-Method.
      { 'x-forwarded-method': 'GET', 'x-original-method': 'POST' },
      { 'x-original-method': 'GET', 'x-forwarded-method': 'PUT' }
    ]
    for (const headers of unsafeOrUnknown) {
      assertError(t, await verify(app, { cookies, headers }), 403, '1403')
    }
    assertIdentity(t, await verify(app, { cookies, headers: { 'x-original-method': 'head' } }), session, 'safe original method')
    assertIdentity(t, await verify(app, { cookies, headers: { 'x-original-method': 'GET', 'x-forwarded-method': 'get' } }), session, 'both headers, the same safe method')
    const csrf = cookieOf(session, 'csrfToken')
    assertIdentity(t, await verify(app, {
      cookies: { ...cookies, csrfToken: csrf }, headers: { 'x-forwarded-method': 'POST', 'x-csrf-token': csrf }
    }), session, 'POST with the double-submit token')
    // A header token is not sent by browsers on their own: no proof needed.
    assertIdentity(t, await verify(app, { headers: { token: session.token, 'x-forwarded-method': 'POST' } }), session, 'POST with a header token')
  })

  // Envoy lets a request through on a 200 only: a 204 would be a denial.
  t.test('Envoy style: the original method and path under /auth/verify/, and 200', async (t) => {
    const session = await createAndLogIn(app)
    assertIdentity(t, await app.inject({ method: 'POST', url: '/auth/verify/orders/7', headers: { token: session.token } }), session, 'POST /orders/7', 200)
    assertError(t, await app.inject({ method: 'DELETE', url: '/auth/verify/orders/7', cookies: { accessToken: session.token } }), 403, '1403')
    assertIdentity(t, await app.inject({ method: 'GET', url: '/auth/verify/orders', cookies: { accessToken: session.token } }), session, 'GET by cookie', 200)
  })
})

t.test('a reissue reaches the gateway: x-renewed-token for header clients, Set-Cookie for cookie clients', async (t) => {
  const clock = new TestClock()
  const { app } = await buildTestApp(t, { env: { SESSION_ROTATE_AFTER: String(ROTATE_AFTER_SECONDS) }, clock: clock.now })
  const session = await createAndLogIn(app)
  // The token must be older than SESSION_ROTATE_AFTER (whole seconds).
  clock.advance((ROTATE_AFTER_SECONDS + 1) * MS_PER_SECOND)
  const byHeader = await verify(app, { headers: { token: session.token } })
  assertIdentity(t, byHeader, session, 'header client')
  const renewed = byHeader.headers['x-renewed-token']
  t.type(renewed, 'string', 'the renewed token is handed back')
  t.not(renewed, session.token)
  t.equal(byHeader.headers['set-cookie'], undefined, 'no cookie for a header client')

  const byCookie = await verify(app, { cookies: { accessToken: session.token }, headers: { 'x-forwarded-method': 'GET' } })
  assertIdentity(t, byCookie, session, 'cookie client')
  t.equal(byCookie.headers['x-renewed-token'], undefined, 'a cookie client gets no readable token')
  const cookie = byCookie.cookies.find((c) => c.name === 'accessToken')
  t.equal(cookie?.value, renewed, 'the same new token, in the HttpOnly cookie')
  t.equal(cookie?.httpOnly, true)
})

t.test('a Redis outage answers 503 "1503", never 1002', async (t) => {
  // Its own redis-server, to stop, even where REDIS_URL points the other tests at a shared one.
  const redisServer = await RedisServer.start()
  t.teardown(async () => await redisServer.destroy())
  const { app } = await buildTestApp(t, { env: { NEAR_CACHE: 'off' }, redisServer })
  const session = await createAndLogIn(app)
  await redisServer.stop()
  assertError(t, await verify(app, { headers: { token: session.token } }), 503, '1503')
})
