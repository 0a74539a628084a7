import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { createSigner } from 'fast-jwt'
import t from 'tap'
import { SESSION_FIELDS } from '../../src/sessions/session-fields.js'
import { buildTestApp, TEST_JWT_SECRET } from '../helpers/build-app.js'
import { moved, scrape } from '../helpers/metrics.js'
import { createUser, me, type TestUser } from '../helpers/sessions.js'
import { TestClock } from '../helpers/test-clock.js'

// SESSION_DEVICE_RULES and rememberMe (issue 26 §1, §2) through POST /auth/login: the per-type
// cap (end_oldest, refuse_new, decided atomically in the create script), each type's own idle
// TTL and absolute lifetime, and browser sessions.

const RULES = JSON.stringify({
  phone: { maxSessions: 1, onOverflow: 'end_oldest' },
  tablet: { maxSessions: 2 },
  tv: { maxSessions: 1, onOverflow: 'refuse_new' },
  web: { idleTtl: 7200, maxLifetime: 100 },
  kiosk: { idleTtl: 2 },
  car: { maxLifetime: 1000 }
})
const CONCURRENT_ROUNDS = 25

interface Login {
  token: string
  sessionId: string
  response: LightMyRequestResponse
}

interface ErrorBody { errorCode: string, reason?: string }

async function logInAs (app: FastifyInstance, user: TestUser, body: Record<string, unknown>): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'POST', url: '/auth/login', payload: { account: user.account, password: user.password, ...body } })
}

async function loggedIn (app: FastifyInstance, user: TestUser, body: Record<string, unknown>): Promise<Login> {
  const response = await logInAs(app, user, body)
  if (response.statusCode !== 200) throw new Error(`login failed: ${response.statusCode} ${response.body}`)
  return { ...response.json<{ token: string, sessionId: string }>(), response }
}

function sessionKey (prefix: string, user: TestUser, sessionId: string): string {
  return `${prefix}ACCESS_TOKEN:{${user.userId}}:${sessionId}`
}

t.test('end_oldest: a second phone replaces the first, at once, near-cache included; other types are left alone', async (t) => {
  const { app } = await buildTestApp(t, { env: { SESSION_DEVICE_RULES: RULES } })
  const user = await createUser(app)
  const firstPhone = await loggedIn(app, user, { deviceType: 'phone' })
  const laptop = await loggedIn(app, user, {})
  const tablet = await loggedIn(app, user, { deviceType: 'tablet' })
  // Served from the near-cache from here on: the replacement must drop it there too.
  t.equal((await me(app, firstPhone.token)).statusCode, 200)
  t.equal((await me(app, firstPhone.token)).statusCode, 200)
  const secondPhone = await loggedIn(app, user, { deviceType: 'phone' })
  const refused = await me(app, firstPhone.token)
  t.equal(refused.statusCode, 401)
  t.match(refused.json<ErrorBody>(), { errorCode: '1002', reason: 'replaced' }, 'the first phone: 1002 replaced')
  for (const [name, login] of [['second phone', secondPhone], ['laptop (no type)', laptop], ['tablet', tablet]] as const) {
    t.equal((await me(app, login.token)).statusCode, 200, `${name} still signed in`)
  }
  const listed = await app.inject({ method: 'GET', url: '/auth/sessions', headers: { token: secondPhone.token } })
  const types = Object.fromEntries(listed.json<{ sessions: Array<{ id: string, deviceType: string | null }> }>().sessions.map((s) => [s.id, s.deviceType]))
  t.same(types, { [secondPhone.sessionId]: 'phone', [laptop.sessionId]: null, [tablet.sessionId]: 'tablet' }, 'session views carry deviceType, null when none')
  const whoami = async (login: Login): Promise<unknown> => (await me(app, login.token)).json<{ deviceType: unknown }>().deviceType
  t.same([await whoami(secondPhone), await whoami(laptop)], ['phone', null], 'GET /auth/me answers deviceType, null when none')
})

t.test('end_oldest with maxSessions 2: the third tablet ends the oldest one only', async (t) => {
  const { app } = await buildTestApp(t, { env: { SESSION_DEVICE_RULES: RULES } })
  const user = await createUser(app)
  const tablets = []
  for (let i = 0; i < 3; i++) tablets.push(await loggedIn(app, user, { deviceType: 'tablet' }))
  const answers = await Promise.all(tablets.map(async (login) => (await me(app, login.token)).statusCode))
  t.same(answers, [401, 200, 200])
})

t.test('two concurrent logins on two phones with maxSessions 1 leave exactly one', async (t) => {
  const { app } = await buildTestApp(t, { env: { SESSION_DEVICE_RULES: RULES, NEAR_CACHE: 'off' } })
  for (let round = 0; round < CONCURRENT_ROUNDS; round++) {
    const user = await createUser(app)
    const logins = await Promise.all([0, 1].map(async () => await loggedIn(app, user, { deviceType: 'phone' })))
    const alive = await Promise.all(logins.map(async (login) => (await me(app, login.token)).statusCode === 200))
    t.equal(alive.filter(Boolean).length, 1, `round ${round}: exactly one phone signed in`)
  }
})

t.test('refuse_new: a second tv is refused with 409 "1013" and nothing is stored', async (t) => {
  const { app, config } = await buildTestApp(t, { env: { SESSION_DEVICE_RULES: RULES, METRICS: 'on' } })
  const user = await createUser(app)
  const tv = await loggedIn(app, user, { deviceType: 'tv' })
  const keysBefore = (await app.redis.keys(`${config.REDIS_KEY_PREFIX}*`)).sort()
  const metricsBefore = await scrape(app)
  const refused = await logInAs(app, user, { deviceType: 'tv' })
  t.equal(refused.statusCode, 409, refused.body)
  t.match(refused.json<ErrorBody>(), { errorCode: '1013' })
  const metricsAfter = await scrape(app)
  t.same(['device_type_full', 'error'].map((result) => moved(metricsBefore, metricsAfter, `auth_logins_total{result="${result}"}`)), [1, 0],
    'counted as a login refused for its device type, not as an error')
  t.equal(refused.headers['set-cookie'], undefined, 'no cookie')
  t.same((await app.redis.keys(`${config.REDIS_KEY_PREFIX}*`)).sort(), keysBefore, 'no key added')
  t.equal(await app.redis.zcard(`${config.REDIS_KEY_PREFIX}ACCESS_TOKEN_INDEX:{${user.userId}}`), 1, 'the index lists the first tv only')
  t.equal((await me(app, tv.token)).statusCode, 200, 'the first tv is still signed in')

  // Once the first tv signs out, a tv may sign in again.
  await app.inject({ method: 'POST', url: '/auth/logout', headers: { token: tv.token } })
  t.equal((await logInAs(app, user, { deviceType: 'tv' })).statusCode, 200, 'a tv again after the logout')
})

t.test('refuse_new under concurrency: of concurrent tv logins exactly one succeeds, the others 409', async (t) => {
  const { app } = await buildTestApp(t, { env: { SESSION_DEVICE_RULES: RULES, NEAR_CACHE: 'off' } })
  for (let round = 0; round < CONCURRENT_ROUNDS; round++) {
    const user = await createUser(app)
    const answers = await Promise.all([0, 1, 2].map(async () => (await logInAs(app, user, { deviceType: 'tv' })).statusCode))
    t.same(answers.sort(), [200, 409, 409], `round ${round}`)
  }
})

t.test('a type\'s idle TTL and absolute lifetime replace SESSION_TTL and SESSION_MAX_LIFETIME', async (t) => {
  const clock = new TestClock()
  const { app, config } = await buildTestApp(t, { clock: clock.now, env: { SESSION_DEVICE_RULES: RULES, SESSION_MAX_LIFETIME: '500' } })
  const prefix = config.REDIS_KEY_PREFIX
  const user = await createUser(app)
  const web = await loggedIn(app, user, { deviceType: 'web' })
  const car = await loggedIn(app, user, { deviceType: 'car' })
  const plain = await loggedIn(app, user, {})
  const fields = await app.redis.hgetall(sessionKey(prefix, user, web.sessionId))
  t.equal(fields[SESSION_FIELDS.deviceType], 'web')
  t.equal(fields[SESSION_FIELDS.maxLifetime], '100', 'its own lifetime is stored: it differs from SESSION_MAX_LIFETIME')
  t.equal(fields[SESSION_FIELDS.idleTtl], '7200', 'and its own idle TTL')
  const plainFields = await app.redis.hgetall(sessionKey(prefix, user, plain.sessionId))
  t.same([SESSION_FIELDS.deviceType, SESSION_FIELDS.idleTtl, SESSION_FIELDS.maxLifetime, SESSION_FIELDS.notRemembered].filter((f) => f in plainFields), [],
    'a session without a type or rememberMe stores none of the new fields')
  t.ok(await app.redis.pttl(sessionKey(prefix, user, web.sessionId)) <= 100_000, 'the web session\'s TTL stops at its own deadline')

  clock.advance(101_000)
  const webAnswer = await me(app, web.token)
  t.match(webAnswer.json<ErrorBody>(), { errorCode: '1002', reason: 'max_lifetime' }, 'web: ended at its own 100 s')
  // Redis lets a key go at its deadline (a second past it): the token still tells why it ended.
  await app.redis.del(sessionKey(prefix, user, web.sessionId))
  t.match((await me(app, web.token)).json<ErrorBody>(), { errorCode: '1002', reason: 'max_lifetime' }, 'web: still max_lifetime once its key is gone')
  t.equal((await me(app, plain.token)).statusCode, 200, 'the untyped session lives on')
  clock.advance(400_000)
  t.match((await me(app, plain.token)).json<ErrorBody>(), { errorCode: '1002', reason: 'max_lifetime' }, 'the untyped one ends at SESSION_MAX_LIFETIME')
  await app.redis.del(sessionKey(prefix, user, plain.sessionId))
  t.match((await me(app, plain.token)).json<ErrorBody>(), { errorCode: '1002', reason: 'max_lifetime' },
    'and stays max_lifetime once its key is gone, although the car\'s rule is longer')
  t.equal((await me(app, car.token)).statusCode, 200, 'the car, whose rule allows 1000 s, lives past SESSION_MAX_LIFETIME')
  const listed = await app.inject({ method: 'GET', url: '/auth/sessions', headers: { token: car.token } })
  t.same(listed.json<{ sessions: Array<{ id: string }> }>().sessions.map((s) => s.id), [car.sessionId], 'the list judges each session by its own lifetime')
  clock.advance(500_000)
  t.match((await me(app, car.token)).json<ErrorBody>(), { errorCode: '1002', reason: 'max_lifetime' }, 'and ends at its own 1000 s')
})

t.test('a type\'s idle TTL: the session is created with it, slides to it, and Redis lets it expire', async (t) => {
  const { app, config } = await buildTestApp(t, { env: { SESSION_DEVICE_RULES: RULES, NEAR_CACHE: 'off' } })
  const prefix = config.REDIS_KEY_PREFIX
  const user = await createUser(app)
  const kiosk = await loggedIn(app, user, { deviceType: 'kiosk' })
  const plain = await loggedIn(app, user, {})
  const key = sessionKey(prefix, user, kiosk.sessionId)
  t.equal((await app.redis.hgetall(key))[SESSION_FIELDS.idleTtl], '2', 'its own idle TTL is stored')
  const created = await app.redis.pttl(key)
  t.ok(created > 0 && created <= 2000, `created with 2 s (${created} ms)`)
  // A slide brings it back to 2 s, never to SESSION_TTL.
  await sleepUntil(async () => await app.redis.pttl(key) < 1500)
  t.equal((await me(app, kiosk.token)).statusCode, 200)
  const slid = await app.redis.pttl(key)
  t.ok(slid > 1500 && slid <= 2000, `slid to its own 2 s (${slid} ms)`)
  await sleepUntil(async () => await app.redis.exists(key) === 0)
  t.match((await me(app, kiosk.token)).json<ErrorBody>(), { errorCode: '1002', reason: 'expired' }, 'expired by Redis after 2 idle seconds')
  t.equal((await me(app, plain.token)).statusCode, 200, 'the session without a type lives on')
})

// A token names its session's own lifetime (max_lifetime) and is refused from its claims at that
// deadline; one issued before the claim existed is refused there by the near-cache itself, which
// keeps each session's deadline.
t.test('at a type\'s own deadline: the token names it, and the near-cache refuses a token that does not', async (t) => {
  const clock = new TestClock()
  const { app, config } = await buildTestApp(t, { clock: clock.now, env: { SESSION_DEVICE_RULES: RULES } })
  const user = await createUser(app)
  const web = await loggedIn(app, user, { deviceType: 'web' })
  const claims = payloadOf(web.token)
  t.equal(claims.max_lifetime, 100, 'the token names the web type\'s lifetime')
  const { max_lifetime: _named, ...unnamed } = claims
  const olderToken = createSigner({ key: TEST_JWT_SECRET })(unnamed)
  const cache = app.nearCache
  if (cache === null) throw new Error('the near-cache is on by default')
  // The login's own write reaches the cache as an invalidation, which may overtake the first fill.
  t.equal((await me(app, olderToken)).statusCode, 200)
  await cache.sync()
  t.equal((await me(app, olderToken)).statusCode, 200)
  const hitsBefore = cache.counts.hits
  t.equal((await me(app, olderToken)).statusCode, 200)
  t.equal(cache.counts.hits, hitsBefore + 1, 'served from the near-cache')
  // Its own deadline is 100 s from the login second: the key outlives it by a moment, the cache
  // entry with it, and the cache itself must refuse the token that does not name it.
  clock.advanceTo((claims.auth_time + 100) * 1000)
  t.equal(await app.redis.exists(sessionKey(config.REDIS_KEY_PREFIX, user, web.sessionId)), 1, 'its key is still there')
  const refused = await me(app, olderToken)
  t.match(refused.json<ErrorBody>(), { errorCode: '1002', reason: 'max_lifetime' }, 'refused at its own deadline')
  t.equal(cache.counts.hits, hitsBefore + 2, 'by the near-cache')
  t.match((await me(app, web.token)).json<ErrorBody>(), { errorCode: '1002', reason: 'max_lifetime' }, 'and the token that names it, from its claims')
  t.equal(cache.counts.hits, hitsBefore + 2, 'before the near-cache is asked')
})

interface TokenPayload { auth_time: number, max_lifetime?: number, [claim: string]: unknown }

function payloadOf (token: string): TokenPayload {
  const payload: unknown = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString())
  if (typeof payload !== 'object' || payload === null || !('auth_time' in payload) || typeof payload.auth_time !== 'number') throw new Error('no auth_time')
  return payload as TokenPayload
}

t.test('rememberMe: false: cookies without Max-Age or Expires, idle TTL SESSION_TTL_NOT_REMEMBERED unless a rule sets one', async (t) => {
  const { app, config } = await buildTestApp(t, { env: { SESSION_DEVICE_RULES: RULES, SESSION_TTL_NOT_REMEMBERED: '600' } })
  const prefix = config.REDIS_KEY_PREFIX
  const user = await createUser(app)
  const browser = await loggedIn(app, user, { rememberMe: false })
  t.ok(browser.response.cookies.length >= 2)
  for (const cookie of browser.response.cookies) {
    t.equal(cookie.maxAge, undefined, `${cookie.name}: no Max-Age`)
    t.equal(cookie.expires, undefined, `${cookie.name}: no Expires`)
  }
  const key = sessionKey(prefix, user, browser.sessionId)
  const ttl = await app.redis.pttl(key)
  t.ok(ttl > 590_000 && ttl <= 600_000, `idle TTL SESSION_TTL_NOT_REMEMBERED (${ttl} ms)`)
  t.equal((await app.redis.hgetall(key))[SESSION_FIELDS.notRemembered], '1')

  const remembered = await loggedIn(app, user, { rememberMe: true })
  t.ok(remembered.response.cookies.every((cookie) => typeof cookie.maxAge === 'number'), 'rememberMe: true keeps Max-Age')
  t.ok(await app.redis.pttl(sessionKey(prefix, user, remembered.sessionId)) > 600_000, 'and SESSION_TTL')

  const kiosk = await loggedIn(app, user, { rememberMe: false, deviceType: 'kiosk' })
  t.ok(await app.redis.pttl(sessionKey(prefix, user, kiosk.sessionId)) <= 2000, 'a device rule\'s idle TTL wins over SESSION_TTL_NOT_REMEMBERED')
})

// The default: 43200 s (12 hours), with nothing configured.
t.test('rememberMe: false under the default configuration: the session\'s TTL is SESSION_TTL_NOT_REMEMBERED\'s default, 43200 s', async (t) => {
  const { app, config } = await buildTestApp(t, {})
  t.equal(config.SESSION_TTL_NOT_REMEMBERED, 43_200, 'the default setting')
  const user = await createUser(app)
  const browser = await loggedIn(app, user, { rememberMe: false })
  const ttlSeconds = await app.redis.ttl(sessionKey(config.REDIS_KEY_PREFIX, user, browser.sessionId))
  t.ok(ttlSeconds > 43_000 && ttlSeconds <= 43_200, `right after login, its Redis TTL is 12 hours (${ttlSeconds} s)`)
})

t.test('a password change keeps the device: the fresh session has the old one\'s type and "remember me"', async (t) => {
  const { app } = await buildTestApp(t, { env: { SESSION_DEVICE_RULES: RULES } })
  const user = await createUser(app)
  const tv = await loggedIn(app, user, { deviceType: 'tv', rememberMe: false, deviceId: 'living-room' })
  const changed = await app.inject({
    method: 'POST', url: '/auth/password', headers: { token: tv.token }, payload: { oldPassword: user.password, newPassword: 'another long passphrase' }
  })
  t.equal(changed.statusCode, 200)
  t.ok(changed.cookies.every((cookie) => cookie.maxAge === undefined && cookie.expires === undefined), 'still a browser session')
  const fresh = changed.json<{ token: string }>()
  t.match((await me(app, fresh.token)).json(), { deviceType: 'tv' }, 'still a tv')
  const second = await logInAs(app, { ...user, password: 'another long passphrase' }, { deviceType: 'tv' })
  t.equal(second.statusCode, 409, 'so the tv cap still counts it')
})

t.test('deviceType and rememberMe are checked', async (t) => {
  const { app } = await buildTestApp(t, { env: { SESSION_DEVICE_RULES: RULES } })
  const user = await createUser(app)
  for (const body of [{ deviceType: 'Phone' }, { deviceType: '1phone' }, { deviceType: 'a-very-long-device-type' }, { deviceType: '' }, { rememberMe: 'no' }]) {
    const answer = await logInAs(app, user, body)
    t.equal(answer.statusCode, 400, JSON.stringify(body))
  }
  t.equal((await logInAs(app, user, { deviceType: 'watch' })).statusCode, 200, 'a type no rule names is a type all the same')
})

async function sleepUntil (condition: () => Promise<boolean>, limitMs = 10_000): Promise<void> {
  const deadline = Date.now() + limitMs
  while (!await condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
