import t from 'tap'
import { buildTestApp } from '../../helpers/build-app.js'
import { streamedEvents } from '../../helpers/session-events.js'
import { me } from '../../helpers/sessions.js'
import { appOptions, forEachStrategy, refresh, SLIDING } from '../../helpers/strategies.js'
import { BILLING_KEY, SERVICE_KEYS_ENV, startSession, type StartedSession } from './service-requests.js'
import { storedLastSeenAt } from '../../helpers/stored-session.js'

// POST /service/sessions: a backend starts a session for a user it signed in its own way. The
// session is an ordinary one: the user's token works on every route, slides, is listed and ends.

const PHONE_USER_AGENT = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1'

t.test('a started session answers as a login does, without cookies, and is an ordinary session', async (t) => {
  forEachStrategy(t, async (t, strategy) => {
    const { app } = await buildTestApp(t, appOptions(strategy, { ...SERVICE_KEYS_ENV, EVENTS_STREAM: 'events' }))
    const answer = await startSession(app, {
      userId: 4242, deviceId: 'phone-1', authMethod: 'phone_code', ip: '198.51.100.23', userAgent: PHONE_USER_AGENT
    })
    t.equal(answer.statusCode, 201, answer.body)
    const started = answer.json<StartedSession>()
    t.match(started, { result: 'success', userId: 4242, userType: 'user', sessionId: /^[\w-]{22}$/, token: /^eyJ/ }, 'the body login answers')
    if (strategy.refresh) {
      t.match(started, { expiresIn: Number, refreshToken: String, refreshExpiresIn: Number }, 'and the refresh pair')
    } else {
      t.notOk('refreshToken' in started, 'no refresh token with the sliding strategy')
    }
    t.equal(answer.headers['set-cookie'], undefined, 'no cookie: the caller is a backend, not the user')

    const who = await me(app, started.token)
    t.equal(who.statusCode, 200, who.body)
    t.match(who.json(), { userId: 4242, userType: 'user', sessionId: started.sessionId }, '/auth/me knows the user')

    const listed = await app.inject({ method: 'GET', url: '/auth/sessions', headers: { token: started.token } })
    t.match(listed.json(), { sessions: [{ id: started.sessionId, deviceId: 'phone-1', ip: '198.51.100.23', userAgent: 'Safari 17 on iOS', current: true }] },
      "in the user's session list, with the end user's IP and device label")

    let token = started.token
    if (strategy.refresh) {
      const renewed = await refresh(app, started.refreshToken ?? '')
      t.equal(renewed.statusCode, 200, `its refresh token renews it: ${renewed.body}`)
      token = renewed.json<StartedSession>().token
    }

    const events = await streamedEvents(app)
    t.match(events.find((event) => event.type === 'session.created'), {
      userId: 4242, sessionId: started.sessionId, deviceId: 'phone-1', ip: '198.51.100.23', actor: 'service:billing', authMethod: 'phone_code'
    }, 'session.created names the backend and how the user signed in')

    const logout = await app.inject({ method: 'POST', url: '/auth/logout', headers: { token } })
    t.equal(logout.statusCode, 200, `POST /auth/logout ends it: ${logout.body}`)
    t.match((await me(app, started.token)).json(), { errorCode: '1002', reason: 'logout' }, 'then it answers 1002 logout')
  })
})

t.test('a string id stays a string and a number a number; digits name one user either way', async (t) => {
  const { app } = await buildTestApp(t, appOptions(SLIDING, SERVICE_KEYS_ENV))
  const uuid = '018f3a7e-2b1c-7d4e-9a5b-3c2d1e0f9a8b'
  const byUuid = await startSession(app, { userId: uuid, authMethod: 'apple' })
  t.equal(byUuid.statusCode, 201, byUuid.body)
  t.equal(byUuid.json<StartedSession>().userId, uuid, 'the answer carries the string')
  t.same((await me(app, byUuid.json<StartedSession>().token)).json<{ userId: unknown }>().userId, uuid, '/auth/me answers the string')

  const asNumber = (await startSession(app, { userId: 123 })).json<StartedSession>()
  const asString = (await startSession(app, { userId: '123' })).json<StartedSession>()
  t.same([asNumber.userId, asString.userId], [123, '123'], 'each answer in the kind it was sent')
  t.same((await me(app, asNumber.token)).json<{ userId: unknown }>().userId, 123, '/auth/me: the number')
  t.same((await me(app, asString.token)).json<{ userId: unknown }>().userId, '123', '/auth/me: the string')

  const listed = await app.inject({ method: 'GET', url: '/service/users/123/sessions', headers: { authorization: `Bearer ${BILLING_KEY}` } })
  t.same(listed.json<{ sessions: Array<{ id: string }> }>().sessions.map((session) => session.id).sort(), [asNumber.sessionId, asString.sessionId].sort(),
    '/service/users/123/sessions lists both: one user')
  const ended = await app.inject({ method: 'DELETE', url: `/service/users/${uuid}/sessions`, headers: { authorization: `Bearer ${BILLING_KEY}` } })
  t.same(ended.json(), { result: 'success', revoked: 1 }, 'a UUID in the path names its user')
  t.equal((await me(app, asNumber.token)).statusCode, 200, 'and no other')
})

t.test('sliding: a request with the started session slides it back to SESSION_TTL', async (t) => {
  const { app, config } = await buildTestApp(t, appOptions(SLIDING, { ...SERVICE_KEYS_ENV, SESSION_TTL: '60' }))
  const started = (await startSession(app, { userId: 77 })).json<StartedSession>()
  const key = `${config.REDIS_KEY_PREFIX}ACCESS_TOKEN:{77}:${started.sessionId}`
  // As if the session had been idle for 40 s.
  t.equal(await app.redis.pexpire(key, 20_000), 1, 'the session is stored under the user id')
  t.equal((await me(app, started.token)).statusCode, 200)
  const ttl = await app.redis.pttl(key)
  t.ok(ttl > 59_000, `TTL reset by the request (${ttl} ms)`)
  t.not(await storedLastSeenAt(app.redis, key), null, 'the request is recorded as lastSeenAt')
})

t.test('userType admin is started as asked; absent fields are absent from the session', async (t) => {
  const { app } = await buildTestApp(t, appOptions(SLIDING, SERVICE_KEYS_ENV))
  const admin = (await startSession(app, { userId: 5, userType: 'admin' })).json<StartedSession>()
  t.equal(admin.userType, 'admin')
  const sessions = await app.inject({ method: 'GET', url: '/admin/users/5/sessions', headers: { token: admin.token } })
  t.equal(sessions.statusCode, 200, `the admin routes take it: ${sessions.body}`)
  t.match(sessions.json(), { sessions: [{ id: admin.sessionId, deviceId: null, userAgent: null }] },
    "neither the backend's User-Agent nor a device id it did not give")
})

t.test('bad input: 400 "1400" naming the field, and no session', async (t) => {
  const { app } = await buildTestApp(t, appOptions(SLIDING, SERVICE_KEYS_ENV))
  const bodies: Array<[Record<string, unknown>, RegExp]> = [
    [{}, /body must have required property 'userId'/],
    [{ userId: 0 }, /body\/userId/],
    [{ userId: 2_147_483_648 }, /body\/userId/],
    [{ userId: 1.5 }, /body\/userId/],
    [{ userId: 'a b' }, /body\/userId/],
    [{ userId: 'x'.repeat(65) }, /body\/userId/],
    [{ userId: '' }, /body\/userId/],
    [{ userId: 1, userType: 'root' }, /body\/userType/],
    [{ userId: 1, authMethod: 'Phone Code' }, /body\/authMethod/],
    [{ userId: 1, authMethod: `a${'b'.repeat(32)}` }, /body\/authMethod/],
    [{ userId: 1, ip: '300.1.2.3' }, /body\/ip/],
    [{ userId: 1, ip: 'localhost' }, /body\/ip/],
    [{ userId: 1, userAgent: 'x'.repeat(513) }, /body\/userAgent/],
    [{ userId: 1, userAgent: 'Evil\u202eAgent' }, /body\/userAgent must not contain control or format characters/],
    [{ userId: 1, deviceId: '' }, /body\/deviceId/]
  ]
  for (const [body, info] of bodies) {
    const answer = await startSession(app, body, BILLING_KEY)
    t.equal(answer.statusCode, 400, JSON.stringify(body))
    t.match(answer.json(), { errorCode: '1400', info }, answer.json<{ info: string }>().info)
  }
  const ipv6 = await startSession(app, { userId: 1, ip: '2001:db8::7' })
  t.equal(ipv6.statusCode, 201, `an IPv6 address is an IP: ${ipv6.body}`)
  const listed = await app.inject({ method: 'GET', url: '/service/users/1/sessions', headers: { authorization: `Bearer ${BILLING_KEY}` } })
  t.equal(listed.json<{ sessions: unknown[] }>().sessions.length, 1, 'only the valid request started a session')
})

t.test('a started session follows SESSION_DEVICE_RULES and rememberMe', async (t) => {
  const rules = JSON.stringify({ phone: { maxSessions: 1 }, tv: { maxSessions: 1, onOverflow: 'refuse_new' } })
  const { app, config } = await buildTestApp(t, { env: { ...SERVICE_KEYS_ENV, SESSION_DEVICE_RULES: rules, SESSION_TTL_NOT_REMEMBERED: '900' } })
  const first = (await startSession(app, { userId: 'svc_user', deviceType: 'phone' })).json<StartedSession>()
  const second = await startSession(app, { userId: 'svc_user', deviceType: 'phone', rememberMe: false })
  t.equal(second.statusCode, 201, second.body)
  t.match((await me(app, first.token)).json(), { errorCode: '1002', reason: 'replaced' }, 'a second phone replaces the first')
  const { sessionId } = second.json<StartedSession>()
  const ttl = await app.redis.pttl(`${config.REDIS_KEY_PREFIX}ACCESS_TOKEN:{svc_user}:${sessionId}`)
  t.ok(ttl > 890_000 && ttl <= 900_000, `rememberMe: false: SESSION_TTL_NOT_REMEMBERED (${ttl} ms)`)

  t.equal((await startSession(app, { userId: 'svc_user', deviceType: 'tv' })).statusCode, 201)
  const refused = await startSession(app, { userId: 'svc_user', deviceType: 'tv' })
  t.equal(refused.statusCode, 409, refused.body)
  t.match(refused.json(), { errorCode: '1013' }, 'a second tv: 409 "1013"')
  t.equal((await startSession(app, { userId: 'svc_user', deviceType: 'Tv' })).statusCode, 400, 'a deviceType out of its pattern: 400')
})
