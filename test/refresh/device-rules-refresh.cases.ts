import type { LightMyRequestResponse } from 'fastify'
import t from 'tap'
import { SESSION_FIELDS } from '../../src/sessions/session-fields.js'
import { buildTestApp } from '../helpers/build-app.js'
import { POSTGRES_URL, reachablePostgresUrl } from '../helpers/database.js'
import { restartRedisEmpty } from '../helpers/redis-restart.js'
import { RedisServer } from '../helpers/redis-server.js'
import { createUser, logIn, me, type TestUser } from '../helpers/sessions.js'
import { appOptions, forEachStrategy, REFRESH_STRATEGIES, refresh, refreshTokenOf } from '../helpers/strategies.js'
import { TestClock } from '../helpers/test-clock.js'

// SESSION_DEVICE_RULES and rememberMe under AUTH_STRATEGY=refresh, with each refresh store: a
// rotation of a session not remembered sets browser-session cookies again, a type's own
// absolute lifetime bounds its refresh tokens (shorter or longer than SESSION_MAX_LIFETIME),
// and a session PostgreSQL brings back into an empty Redis keeps its type and rules.

const MS_PER_SECOND = 1000
const GENERAL_LIFETIME_SECONDS = 1000
const RULES = JSON.stringify({
  web: { maxLifetime: 100 },
  car: { maxLifetime: 5000 },
  phone: { maxSessions: 1, maxLifetime: 5000 }
})

interface SetCookie { name: string, maxAge?: number, expires?: Date }

// The access and refresh cookies an answer sets, with their lifetimes.
function tokenCookies (response: LightMyRequestResponse): SetCookie[] {
  const cookies = response.cookies as SetCookie[]
  return cookies.filter((cookie) => /accessToken|refreshToken/.test(cookie.name))
}

async function logInWith (app: Parameters<typeof logIn>[0], user: TestUser, body: Record<string, unknown>): Promise<{ token: string, refreshToken: string }> {
  const login = await logIn(app, user, undefined, body)
  return { token: login.token, refreshToken: refreshTokenOf(login.response) }
}

forEachStrategy(t, async (t, strategy) => {
  t.test('rememberMe: false: a rotation sets the access and refresh cookies without Max-Age or Expires', async (t) => {
    const { app } = await buildTestApp(t, appOptions(strategy))
    const user = await createUser(app)
    const browser = await logInWith(app, user, { rememberMe: false })
    const remembered = await logInWith(app, user, {})

    const rotated = await refresh(app, browser.refreshToken)
    t.equal(rotated.statusCode, 200, rotated.body)
    const cookies = tokenCookies(rotated)
    t.equal(cookies.length, 2, 'both token cookies are set')
    for (const cookie of cookies) t.same([cookie.maxAge, cookie.expires], [undefined, undefined], `${cookie.name}: a browser-session cookie`)
    const again = await refresh(app, refreshTokenOf(rotated))
    t.ok(tokenCookies(again).every((cookie) => cookie.maxAge === undefined), 'and so does the next rotation')

    const control = tokenCookies(await refresh(app, remembered.refreshToken))
    t.equal(control.length, 2)
    t.ok(control.every((cookie) => typeof cookie.maxAge === 'number' && cookie.maxAge > 0), 'a remembered session\'s cookies keep Max-Age')
  })

  t.test('a type\'s maxLifetime bounds its refresh tokens: refused 1002 max_lifetime from its own deadline, shorter or longer than SESSION_MAX_LIFETIME', async (t) => {
    const clock = new TestClock()
    const { app } = await buildTestApp(t, {
      ...appOptions(strategy, { SESSION_DEVICE_RULES: RULES, SESSION_MAX_LIFETIME: String(GENERAL_LIFETIME_SECONDS) }),
      clock: clock.now
    })
    const user = await createUser(app)
    const tokens = {
      web: (await logInWith(app, user, { deviceType: 'web' })).refreshToken,
      car: (await logInWith(app, user, { deviceType: 'car' })).refreshToken,
      none: (await logInWith(app, user, {})).refreshToken
    }
    const refreshEach = async (): Promise<Record<string, string>> => {
      const answers: Record<string, string> = {}
      for (const [name, token] of Object.entries(tokens) as Array<[keyof typeof tokens, string]>) {
        const answer = await refresh(app, token)
        answers[name] = answer.statusCode === 200 ? '200' : `${answer.statusCode} ${answer.json<{ errorCode: string, reason?: string }>().errorCode} ${answer.json<{ reason?: string }>().reason ?? ''}`
        if (answer.statusCode === 200) tokens[name] = refreshTokenOf(answer)
      }
      return answers
    }
    clock.advance(99 * MS_PER_SECOND)
    t.same(await refreshEach(), { web: '200', car: '200', none: '200' }, 'within every deadline, every session refreshes')
    clock.advance(2 * MS_PER_SECOND)
    t.same(await refreshEach(), { web: '401 1002 max_lifetime', car: '200', none: '200' }, 'past web\'s 100 s, only web is refused')
    clock.advance(GENERAL_LIFETIME_SECONDS * MS_PER_SECOND)
    t.same(await refreshEach(), { web: '401 1002 max_lifetime', car: '200', none: '401 1002 max_lifetime' },
      'past SESSION_MAX_LIFETIME, the car (5000 s) still refreshes')
  })
}, REFRESH_STRATEGIES)

const postgresUrl = await reachablePostgresUrl()

t.test('REFRESH_STORE=postgres: a session brought back into an empty Redis keeps its type, its own lifetime and rememberMe: false', {
  skip: postgresUrl === undefined ? `no PostgreSQL answers at ${POSTGRES_URL}` : false
}, async (t) => {
  const redisServer = await RedisServer.start()
  t.teardown(async () => await redisServer.destroy())
  const { app } = await buildTestApp(t, {
    redisServer,
    databaseUrl: postgresUrl,
    env: { AUTH_STRATEGY: 'refresh', REFRESH_STORE: 'postgres', SESSION_DEVICE_RULES: RULES }
  })
  const user = await createUser(app)
  const login = await logIn(app, user, undefined, { deviceType: 'phone', rememberMe: false })
  const sessionKey = `ACCESS_TOKEN:{${user.userId}}:${login.sessionId}`
  const before = await app.redis.hmget(sessionKey, SESSION_FIELDS.deviceType, SESSION_FIELDS.maxLifetime, SESSION_FIELDS.notRemembered)
  t.same(before, ['phone', '5000', '1'], 'the session is stored with its type, its own lifetime and not remembered')

  await restartRedisEmpty(t, app, redisServer)
  const restored = await refresh(app, refreshTokenOf(login.response))
  t.equal(restored.statusCode, 200, restored.body)
  t.same(await app.redis.hmget(sessionKey, SESSION_FIELDS.deviceType, SESSION_FIELDS.maxLifetime, SESSION_FIELDS.notRemembered), before,
    'the session comes back with the same fields')
  t.ok(tokenCookies(restored).every((cookie) => cookie.maxAge === undefined), 'its cookies stay browser-session cookies')
  const whoami = await me(app, restored.json<{ token: string }>().token)
  t.equal(whoami.json<{ deviceType: string | null }>().deviceType, 'phone', 'GET /auth/me says its type')
  // docs/sessions.md: the cap applies from the next login of the type, which lists the sessions
  // it finds in the devices index; a restored session is not listed there again.
  t.equal(await app.redis.exists(`ACCESS_TOKEN_DEVICES:{${user.userId}}`), 0, 'the devices index is not rebuilt')
})
