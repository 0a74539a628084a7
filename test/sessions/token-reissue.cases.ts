import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import t from 'tap'
import { ConfigError, loadConfig } from '../../src/config/load-config.js'
import { SESSION_FIELDS } from '../../src/sessions/session-fields.js'
import { buildTestApp, TEST_JWT_SECRET } from '../helpers/build-app.js'
import { createAndLogIn, createUser, logIn, me, type LoggedIn } from '../helpers/sessions.js'
import { TestClock } from '../helpers/test-clock.js'

// Transparent reissue (SESSION_ROTATE_AFTER) in the sliding strategy. Token ages are whole
// seconds (`iat`); the server's clock is a TestClock, moved to the boundaries read from the token.

const RENEWED_HEADER = 'x-renewed-token'
const MS_PER_SECOND = 1000
const ALLOWED_ORIGIN = 'https://app.example'

interface Claims {
  userId: number
  userType: string
  sid: string
  iat: number
  auth_time: number
  exp?: number
}

function claimsOf (token: string): Claims {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as Claims
}

function renewedTokenOf (res: LightMyRequestResponse): string | undefined {
  const value = res.headers[RENEWED_HEADER]
  return typeof value === 'string' ? value : undefined
}

// The moment a token becomes due for reissue: its iat plus SESSION_ROTATE_AFTER seconds.
function dueAt (token: string, rotateAfterSeconds: number): number {
  return (claimsOf(token).iat + rotateAfterSeconds) * MS_PER_SECOND
}

function sessionKey (app: FastifyInstance, session: LoggedIn): string {
  return `${app.config.REDIS_KEY_PREFIX}ACCESS_TOKEN:{${session.userId}}:${session.sessionId}`
}

async function listSessions (app: FastifyInstance, token: string): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'GET', url: '/auth/sessions', headers: { token } })
}

// A PGlite database takes seconds to open: subtests with the same settings share one app.
t.test('SESSION_ROTATE_AFTER=2, SESSION_ROTATE_GRACE=2', async (t) => {
  // ROTATE_AFTER=2 so that a renewed token is not itself reissued while a grace window runs.
  const clock = new TestClock()
  const { app } = await buildTestApp(t, { env: { SESSION_ROTATE_AFTER: '2', SESSION_ROTATE_GRACE: '2' }, clock: clock.now })

  t.test('x-renewed-token appears only once the token is SESSION_ROTATE_AFTER old', async (t) => {
    const loginAt = clock.now()
    const session = await createAndLogIn(app)
    const original = claimsOf(session.token)
    const due = dueAt(session.token, 2)

    const early = await me(app, session.token)
    t.equal(early.statusCode, 200)
    t.equal(renewedTokenOf(early), undefined, 'a fresh token is not reissued')
    t.equal(early.headers['set-cookie'], undefined, 'and no cookie is set')

    clock.advanceTo(due - 1)
    const justBefore = await me(app, session.token)
    t.equal(justBefore.statusCode, 200)
    t.equal(renewedTokenOf(justBefore), undefined, 'not reissued a millisecond before SESSION_ROTATE_AFTER')

    clock.advanceTo(due)
    const res = await me(app, session.token)
    t.equal(res.statusCode, 200)
    t.same(res.json(), { userId: session.userId, userType: 'user', deviceType: null, account: session.account, sessionId: session.sessionId, authAt: loginAt, amr: ['pwd'] }, 'a reissue keeps the sign-in time')
    const renewed = renewedTokenOf(res)
    if (renewed === undefined) {
      t.fail('a token older than SESSION_ROTATE_AFTER gets x-renewed-token')
      return
    }
    t.not(renewed, session.token)
    t.equal(res.headers['set-cookie'], undefined, 'a header client gets the header, not a cookie')
    t.ok(app.sessionCheck.tokens.verify(renewed), 'the renewed token is signed with the server key')
    const claims = claimsOf(renewed)
    t.equal(claims.sid, original.sid, 'same session')
    t.equal(claims.userId, original.userId)
    t.equal(claims.userType, original.userType)
    t.equal(claims.auth_time, original.auth_time, 'same login time')
    t.ok(claims.iat > original.iat, `a later iat (${claims.iat} > ${original.iat})`)
    t.notOk('exp' in claims, 'no exp in the sliding strategy')
    t.same(Object.keys(claims).sort(), ['auth_time', 'iat', 'sid', 'userId', 'userType'])
  })

  t.test('the replaced token works through the grace window, then answers 1001; the session lives on', async (t) => {
    const session = await createAndLogIn(app)
    const loginAt = (await listSessions(app, session.token)).json().sessions[0].loginAt
    t.type(loginAt, 'number')

    clock.advanceTo(dueAt(session.token, 2))
    const reissue = await me(app, session.token)
    const renewedAt = clock.now()
    const renewed = renewedTokenOf(reissue)
    if (renewed === undefined) {
      t.fail('the due token was reissued')
      return
    }

    const withRenewed = await me(app, renewed)
    t.equal(withRenewed.statusCode, 200, 'the renewed token works')
    t.equal(renewedTokenOf(withRenewed), undefined, 'and is not itself renewed right away')

    const oldAtOnce = await me(app, session.token)
    t.equal(oldAtOnce.statusCode, 200, 'the old token still works within the grace window')
    t.equal(renewedTokenOf(oldAtOnce), renewed, 'and is told the token already issued')
    const oldConcurrently = await Promise.all(Array.from({ length: 5 }, async () => await me(app, session.token)))
    t.same(oldConcurrently.map((res) => res.statusCode), [200, 200, 200, 200, 200])
    t.same(oldConcurrently.map(renewedTokenOf), [renewed, renewed, renewed, renewed, renewed], 'never a second new token')

    clock.advance(1000)
    const oldLater = await me(app, session.token)
    t.equal(oldLater.statusCode, 200, 'still works a second into the two-second grace')
    t.equal(renewedTokenOf(oldLater), renewed)

    clock.advanceTo(renewedAt + 2000)
    const oldAtEnd = await me(app, session.token)
    t.equal(oldAtEnd.statusCode, 200, 'and to the last millisecond of it')

    clock.advance(1)
    const oldAfter = await me(app, session.token)
    t.equal(oldAfter.statusCode, 401, 'the old token fails after the grace window')
    t.same(oldAfter.json(), { code: 0, errorCode: '1001', info: 'Token was replaced by a reissued one' })
    t.equal(renewedTokenOf(oldAfter), undefined)

    const renewedAfter = await me(app, renewed)
    t.equal(renewedAfter.statusCode, 200, 'the session itself lives on')
    const current = renewedTokenOf(renewedAfter) ?? renewed
    const list = await listSessions(app, current)
    t.equal(list.statusCode, 200)
    const sessions = list.json().sessions as Array<{ id: string, loginAt: number, current: boolean }>
    t.equal(sessions.length, 1)
    t.equal(sessions[0]?.id, session.sessionId)
    t.equal(sessions[0]?.loginAt, loginAt, 'the login time did not move')
    t.equal(sessions[0]?.current, true)
  })
})

t.test('SESSION_ROTATE_AFTER=1, SESSION_ROTATE_GRACE=30, CORS on', async (t) => {
  const clock = new TestClock()
  const { app } = await buildTestApp(t, {
    env: { SESSION_ROTATE_AFTER: '1', SESSION_ROTATE_GRACE: '30', CORS_ORIGINS: ALLOWED_ORIGIN },
    clock: clock.now
  })

  t.test('concurrent requests with one due token all get the same new token', async (t) => {
    const ROUNDS = 20
    const CONCURRENT = 10
    // One fresh session per round; they all become due together, so the rounds share one wait.
    const sessions: LoggedIn[] = []
    for (let round = 0; round < ROUNDS; round++) sessions.push(await createAndLogIn(app))
    const lastDue = Math.max(...sessions.map((session) => dueAt(session.token, 1)))
    clock.advanceTo(lastDue)

    let splitRounds = 0
    let failedRequests = 0
    let missingHeaders = 0
    let wrongClaims = 0
    let unusableTokens = 0
    let wrongRecords = 0
    for (const session of sessions) {
      const answers = await Promise.all(Array.from({ length: CONCURRENT }, async () => await me(app, session.token)))
      failedRequests += answers.filter((res) => res.statusCode !== 200).length
      const tokens = answers.map(renewedTokenOf)
      missingHeaders += tokens.filter((token) => token === undefined).length
      const distinct = new Set(tokens)
      if (distinct.size !== 1) splitRounds++
      const renewed = tokens[0]
      if (renewed === undefined) continue
      const claims = claimsOf(renewed)
      const original = claimsOf(session.token)
      if (claims.sid !== original.sid || claims.auth_time !== original.auth_time || claims.iat <= original.iat) wrongClaims++
      // Exactly one reissue happened: the record names the new token and the one it replaced.
      const record = await app.redis.hmget(sessionKey(app, session), SESSION_FIELDS.tokenIat, SESSION_FIELDS.previousTokenIat)
      if (record[0] !== String(claims.iat) || record[1] !== String(original.iat)) wrongRecords++
      if ((await me(app, renewed)).statusCode !== 200) unusableTokens++
    }
    t.equal(failedRequests, 0, `all ${ROUNDS * CONCURRENT} requests answered 200`)
    t.equal(missingHeaders, 0, 'every answer carries x-renewed-token')
    t.equal(splitRounds, 0, `every round of ${CONCURRENT} got one identical token (${ROUNDS} rounds)`)
    t.equal(wrongClaims, 0, 'every renewed token has the same sid and auth_time and a later iat')
    t.equal(unusableTokens, 0, 'every renewed token works')
    t.equal(wrongRecords, 0, 'every session records exactly one reissue')
  })

  t.test('cookie clients get a new accessToken cookie, not the header', async (t) => {
    const session = await createAndLogIn(app)
    const loginCookies = session.response.cookies
    const accessToken = loginCookies.find((cookie) => cookie.name === 'accessToken')?.value
    t.equal(accessToken, session.token, 'the login set the accessToken cookie')
    t.ok(loginCookies.some((cookie) => cookie.name === 'csrfToken'), 'and a csrfToken cookie')
    if (accessToken === undefined) return

    clock.advanceTo(dueAt(accessToken, 1))
    const res = await app.inject({ method: 'GET', url: '/auth/me', cookies: { accessToken } })
    t.equal(res.statusCode, 200)
    t.equal(res.json().sessionId, session.sessionId)
    t.equal(renewedTokenOf(res), undefined, 'no x-renewed-token for a cookie client')
    t.same(res.cookies.map((cookie) => cookie.name), ['accessToken'], 'only the accessToken cookie is set; csrfToken is kept')
    const cookie = res.cookies[0]
    if (cookie === undefined) return
    t.equal(cookie.httpOnly, true, 'HttpOnly')
    t.equal(cookie.path, '/')
    t.not(cookie.value, accessToken, 'a new token')
    const claims = claimsOf(cookie.value)
    const original = claimsOf(accessToken)
    t.equal(claims.sid, original.sid)
    t.equal(claims.auth_time, original.auth_time)
    t.ok(claims.iat > original.iat)

    const withOld = await app.inject({ method: 'GET', url: '/auth/me', cookies: { accessToken } })
    t.equal(withOld.statusCode, 200, 'the old cookie works within the grace window')
    t.same(withOld.cookies.map((c) => [c.name, c.value]), [['accessToken', cookie.value]], 'and is replaced by the same token')

    const withNew = await app.inject({ method: 'GET', url: '/auth/me', cookies: { accessToken: cookie.value } })
    t.equal(withNew.statusCode, 200, 'the new cookie works')
    t.equal(withNew.headers['set-cookie'], undefined, 'and is not replaced before it falls due')
  })

  t.test('logout with the renewed token ends the session for the old token too', async (t) => {
    const session = await createAndLogIn(app)
    clock.advanceTo(dueAt(session.token, 1))
    const renewed = renewedTokenOf(await me(app, session.token))
    if (renewed === undefined) {
      t.fail('the due token was reissued')
      return
    }
    t.equal((await me(app, session.token)).statusCode, 200, 'the old token works within the grace window before the logout')

    const logout = await app.inject({ method: 'POST', url: '/auth/logout', headers: { token: renewed } })
    t.equal(logout.statusCode, 200)
    t.same(logout.json(), { result: 'success' })

    const ended = { code: 0, errorCode: '1002', info: 'Session has ended (logout)', reason: 'logout' }
    const old = await me(app, session.token)
    t.equal(old.statusCode, 401)
    t.same(old.json(), ended, 'the old token, within its grace window, is told the session ended')
    t.equal(renewedTokenOf(old), undefined)
    const current = await me(app, renewed)
    t.equal(current.statusCode, 401)
    t.same(current.json(), ended)
  })

  t.test('answers that end or replace the session carry no reissued token for it', async (t) => {
    const [forLogout, forLogoutAll, forPassword, forRevoke] = await Promise.all([0, 1, 2, 3].map(async () => await createAndLogIn(app)))
    if (forLogout === undefined || forLogoutAll === undefined || forPassword === undefined || forRevoke === undefined) return
    // All four tokens are due: each request below would be handed a reissued token on the way in.
    clock.advanceTo(Math.max(...[forLogout, forLogoutAll, forPassword, forRevoke].map((s) => dueAt(s.token, 1))))
    const answers = {
      logout: await app.inject({ method: 'POST', url: '/auth/logout', headers: { token: forLogout.token } }),
      'logout-all': await app.inject({ method: 'POST', url: '/auth/logout-all', headers: { token: forLogoutAll.token } }),
      'password change': await app.inject({
        method: 'POST',
        url: '/auth/password',
        headers: { token: forPassword.token },
        payload: { oldPassword: forPassword.password, newPassword: 'another long passphrase' }
      }),
      'revoking the own session': await app.inject({ method: 'DELETE', url: `/auth/sessions/${forRevoke.sessionId}`, headers: { token: forRevoke.token } })
    }
    for (const [what, res] of Object.entries(answers)) {
      t.equal(res.statusCode, 200, `${what}: ${res.body}`)
      t.equal(renewedTokenOf(res), undefined, `${what}: no x-renewed-token for the session it ended`)
    }
    const fresh = answers['password change'].json<{ token: string }>().token
    t.equal((await me(app, fresh)).statusCode, 200, 'the password change\'s own new token is the one that works')
  })

  t.test('CORS exposes x-renewed-token to the allowed origin', async (t) => {
    const origin = ALLOWED_ORIGIN
    const session = await createAndLogIn(app)
    clock.advanceTo(dueAt(session.token, 1))
    const res = await app.inject({ method: 'GET', url: '/auth/me', headers: { token: session.token, origin } })
    t.equal(res.statusCode, 200)
    t.equal(res.headers['access-control-allow-origin'], origin)
    const exposed = String(res.headers['access-control-expose-headers'] ?? '')
      .split(',').map((name) => name.trim().toLowerCase())
    t.ok(exposed.includes(RENEWED_HEADER), `Access-Control-Expose-Headers names x-renewed-token (${exposed.join(', ')})`)
    t.type(renewedTokenOf(res), 'string', 'and the header it exposes is there')

    const foreign = await app.inject({ method: 'GET', url: '/auth/me', headers: { token: session.token, origin: 'https://evil.example' } })
    t.equal(foreign.headers['access-control-allow-origin'], undefined, 'another origin is not allowed')
  })
})

t.test('SESSION_ROTATE_AFTER=0 (the default) never reissues', async (t) => {
  const clock = new TestClock()
  const { app, config } = await buildTestApp(t, { env: { CORS_ORIGINS: ALLOWED_ORIGIN }, clock: clock.now })
  t.equal(config.SESSION_ROTATE_AFTER, 0, 'the default is 0')
  const session = await createAndLogIn(app)
  clock.advance(60_000)
  const res = await me(app, session.token)
  t.equal(res.statusCode, 200)
  t.equal(renewedTokenOf(res), undefined, 'no x-renewed-token')
  t.equal(res.headers['set-cookie'], undefined)
  const cookieRes = await app.inject({ method: 'GET', url: '/auth/me', cookies: { accessToken: session.token } })
  t.equal(cookieRes.statusCode, 200)
  t.equal(cookieRes.headers['set-cookie'], undefined, 'nor a new cookie')
  t.equal(await app.redis.hexists(sessionKey(app, session), SESSION_FIELDS.tokenIat), 0, 'no reissue bookkeeping in the record')
  const cors = await app.inject({ method: 'GET', url: '/auth/me', headers: { token: session.token, origin: ALLOWED_ORIGIN } })
  t.equal(renewedTokenOf(cors), undefined, 'nor for a cross-origin request')
})

t.test('reissues do not restart the absolute lifetime', async (t) => {
  const clock = new TestClock()
  const { app } = await buildTestApp(t, {
    env: { SESSION_MAX_LIFETIME: '3', SESSION_ROTATE_AFTER: '1', SESSION_ROTATE_GRACE: '30' },
    clock: clock.now
  })
  const user = await createUser(app)
  const loginStartedAt = clock.now()
  const session = await logIn(app, user)
  const authTime = claimsOf(session.token).auth_time
  const deadline = (authTime + 3) * MS_PER_SECOND

  // Keep using whatever token the server hands out, as a client would.
  let token = session.token
  const tokensSeen = new Set([token])
  let failures = 0
  while (clock.now() < deadline - 600) {
    const res = await me(app, token)
    if (res.statusCode !== 200) failures++
    token = renewedTokenOf(res) ?? token
    tokensSeen.add(token)
    clock.advance(250)
  }
  t.equal(failures, 0, 'active until the deadline')
  t.ok(tokensSeen.size >= 2, `the token was reissued along the way (${tokensSeen.size} tokens)`)
  const latest = claimsOf(token)
  t.equal(latest.auth_time, authTime, 'the latest token keeps the login time')
  t.ok(latest.iat > authTime, 'and has a later iat')

  clock.advanceTo(Math.max(deadline, loginStartedAt + 3000))
  t.ok(clock.now() / MS_PER_SECOND - latest.iat < 3, 'the latest token is younger than SESSION_MAX_LIFETIME')
  const res = await me(app, token)
  t.equal(res.statusCode, 401)
  t.same(res.json(), { code: 0, errorCode: '1002', info: 'Session has ended (max_lifetime)', reason: 'max_lifetime' })
  t.equal(renewedTokenOf(res), undefined)
})

t.test('SESSION_ROTATE_AFTER with AUTH_STRATEGY=refresh is a configuration error', async (t) => {
  const base = { JWT_SECRET: TEST_JWT_SECRET }
  let thrown: unknown
  try {
    loadConfig({ ...base, AUTH_STRATEGY: 'refresh', SESSION_ROTATE_AFTER: '5' })
  } catch (error) {
    thrown = error
  }
  t.ok(thrown instanceof ConfigError, 'refused with a ConfigError')
  t.match(String((thrown as Error | undefined)?.message), /SESSION_ROTATE_AFTER/, 'naming SESSION_ROTATE_AFTER')
  t.equal(loadConfig({ ...base, AUTH_STRATEGY: 'sliding', SESSION_ROTATE_AFTER: '5' }).SESSION_ROTATE_AFTER, 5,
    'the sliding strategy accepts it')
  t.equal(loadConfig({ ...base, AUTH_STRATEGY: 'refresh', SESSION_ROTATE_AFTER: '0' }).AUTH_STRATEGY, 'refresh',
    'refresh with SESSION_ROTATE_AFTER=0 is fine')
})
