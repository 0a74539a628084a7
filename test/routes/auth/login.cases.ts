import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { buildTestApp } from '../../helpers/build-app.js'
import { createUser, me, TEST_PASSWORD, uniqueAccount } from '../../helpers/sessions.js'

interface IssuedSession {
  result: string
  token: string
  userId: number
  userType: string
  sessionId: string
}

interface ErrorBody {
  code: number
  errorCode: string
  info: string
}

const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{22,}$/
// A JWT `iat` counts seconds; anything this large would be milliseconds.
const LARGEST_SECONDS_TIMESTAMP = 1e11

function assertError (t: Test, res: LightMyRequestResponse, statusCode: number, errorCode: string, what: string): ErrorBody {
  t.equal(res.statusCode, statusCode, `${what}: status ${statusCode} (${res.body})`)
  const body = res.json<ErrorBody>()
  t.strictSame(body, { code: 0, errorCode, info: String(body.info) }, `${what}: body is {code:0, errorCode:'${errorCode}', info}`)
  t.type(body.info, 'string', `${what}: info is a string`)
  return body
}

function decodePart (token: string, index: number): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[index] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>
}

function cookieNamed (res: LightMyRequestResponse, name: string): LightMyRequestResponse['cookies'][number] | undefined {
  return res.cookies.find((cookie) => cookie.name === name)
}

async function login (app: FastifyInstance, payload: InjectOptions['payload'], remoteAddress?: string): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'POST', url: '/auth/login', payload, remoteAddress })
}

async function register (app: FastifyInstance, payload: InjectOptions['payload'], remoteAddress?: string): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'POST', url: '/auth/register', payload, remoteAddress })
}

t.test('with the default configuration', async (t) => {
  const { app } = await buildTestApp(t)

  t.test('login answers the issued session and a token with the pinned claims', async (t) => {
    const user = await createUser(app)
    const res = await login(app, { account: user.account, password: user.password })
    t.equal(res.statusCode, 200, res.body)
    t.equal(res.headers['cache-control'], 'no-store', 'the answer is not cacheable')
    const body = res.json<IssuedSession>()
    t.strictSame(Object.keys(body).sort(), ['result', 'sessionId', 'token', 'userId', 'userType'], 'nothing else in the body')
    t.equal(body.result, 'success')
    t.equal(body.userId, user.userId)
    t.equal(body.userType, 'user')
    t.type(body.token, 'string')
    t.match(body.sessionId, SESSION_ID_PATTERN, 'sessionId is ≥ 22 base64url characters')

    t.equal(body.token.split('.').length, 3, 'the token is a three-part JWT')
    const header = decodePart(body.token, 0)
    t.equal(header.alg, 'HS256', 'signed with HS256')
    const claims = decodePart(body.token, 1)
    t.strictSame(Object.keys(claims).sort(), ['auth_time', 'iat', 'sid', 'userId', 'userType'], 'exactly the session claims: no exp, no account')
    t.equal(claims.auth_time, claims.iat, 'auth_time is the login time, which is when this token was issued')
    t.equal(claims.userId, user.userId, 'claim userId')
    t.equal(claims.userType, 'user', 'claim userType')
    t.equal(claims.sid, body.sessionId, 'claim sid is the sessionId')
    t.notOk('exp' in claims, 'no exp: the session in Redis decides how long the token lives')
    const iat = claims.iat
    t.ok(typeof iat === 'number' && Number.isInteger(iat) && iat > 0 && iat < LARGEST_SECONDS_TIMESTAMP, `iat is a timestamp in seconds (${String(iat)})`)

    const meRes = await me(app, body.token)
    t.equal(meRes.statusCode, 200, `the token authenticates: ${meRes.body}`)
    t.equal(meRes.json<{ sessionId: string }>().sessionId, body.sessionId, 'and names the same session')

    const second = (await login(app, { account: user.account, password: user.password })).json<IssuedSession>()
    t.not(second.sessionId, body.sessionId, 'every login starts a new session')
    t.not(second.token, body.token, 'with a new token')
  })

  t.test('login sets the session cookies', async (t) => {
    const user = await createUser(app)
    const res = await login(app, { account: user.account, password: user.password })
    t.equal(res.statusCode, 200, res.body)
    const { token } = res.json<IssuedSession>()

    const access = cookieNamed(res, 'accessToken')
    t.ok(access, 'accessToken cookie set')
    t.equal(access?.value, token, 'accessToken holds the token')
    t.equal(access?.httpOnly, true, 'accessToken is HttpOnly')
    t.equal(access?.sameSite, 'Lax', 'accessToken is SameSite=Lax')
    t.equal(access?.path, '/', 'accessToken is for every path')
    t.notOk(access?.secure, 'accessToken is not Secure by default outside production')
    t.ok(typeof access?.maxAge === 'number' && access.maxAge > 0, 'accessToken is persistent')

    t.strictSame(res.cookies.map((cookie) => cookie.name).sort(), ['accessToken', 'csrfToken'],
      'without COOKIE_SECURE the plain names, and no loginUser: the account is not given to scripts')

    const csrf = cookieNamed(res, 'csrfToken')
    t.ok(csrf, 'csrfToken cookie set')
    t.ok((csrf?.value.length ?? 0) >= 32, 'csrfToken holds a long random value')
    t.notOk(csrf?.httpOnly, 'csrfToken is readable by scripts (double submit)')
    t.not(csrf?.value, token, 'csrfToken is not the session token')

    const again = await login(app, { account: user.account, password: user.password })
    t.not(cookieNamed(again, 'csrfToken')?.value, csrf?.value, 'every login gets a fresh csrfToken')

    const failed = await login(app, { account: user.account, password: 'not the password' })
    t.equal(failed.statusCode, 401)
    t.strictSame(failed.cookies, [], 'a failed login sets no cookie')
  })

  t.test('accounts are trimmed and lower-cased', async (t) => {
    const created = await register(app, { account: ' Ann@Example.COM ', password: TEST_PASSWORD })
    t.equal(created.statusCode, 201, created.body)

    const res = await login(app, { account: 'ann@example.com', password: TEST_PASSWORD })
    t.equal(res.statusCode, 200, `login with the normalised spelling: ${res.body}`)
    const meRes = await me(app, res.json<IssuedSession>().token)
    t.equal(meRes.json<{ account: string }>().account, 'ann@example.com', '/auth/me shows the normalised account')

    const shouting = await login(app, { account: '  ANN@EXAMPLE.com', password: TEST_PASSWORD })
    t.equal(shouting.statusCode, 200, `login with another spelling: ${shouting.body}`)
    t.equal(shouting.json<IssuedSession>().userId, created.json<{ userId: number }>().userId, 'the same user')

    assertError(t, await register(app, { account: 'ANN@example.com', password: TEST_PASSWORD }), 409, '1409', 'a second spelling of a taken account')
    const stored = await app.users.findByAccount('ann@example.com')
    t.equal(stored?.account, 'ann@example.com', 'stored in its normalised form')
  })

  t.test('register', async (t) => {
    const account = uniqueAccount()
    const created = await register(app, { account, password: TEST_PASSWORD })
    t.equal(created.statusCode, 201, created.body)
    const body = created.json<{ userId: number }>()
    t.strictSame(Object.keys(body), ['userId'], 'the body is {userId}')
    t.ok(Number.isInteger(body.userId) && body.userId > 0, 'userId is a positive integer')
    t.equal((await app.users.findByAccount(account))?.id, body.userId, 'the user exists')
    t.equal((await login(app, { account, password: TEST_PASSWORD })).statusCode, 200, 'and can log in')

    assertError(t, await register(app, { account: 'seven@example.com', password: '1234567' }), 400, '1400', 'a 7-character password')
    assertError(t, await register(app, { account: 'long@example.com', password: 'p'.repeat(257) }), 400, '1400', 'a 257-character password')
    t.equal(await app.users.findByAccount('seven@example.com'), undefined, 'the refused registration created nobody')
    t.equal((await register(app, { account: 'eight@example.com', password: '12345678' })).statusCode, 201, 'an 8-character password is enough')
    t.equal((await register(app, { account: 'max@example.com', password: 'p'.repeat(256) })).statusCode, 201, 'a 256-character password is allowed')
  })

  t.test('invalid input answers 400 "1400" in the one error shape', async (t) => {
    const badBodies: Array<[string, InjectOptions['payload']]> = [
      ['empty object', {}],
      ['missing password', { account: 'a@example.com' }],
      ['missing account', { password: TEST_PASSWORD }],
      ['blank account', { account: '   ', password: TEST_PASSWORD }],
      ['account as an object', { account: {}, password: TEST_PASSWORD }],
      ['password as an object', { account: 'a@example.com', password: { value: TEST_PASSWORD } }],
      ['password as a two-element array', { account: 'a@example.com', password: [TEST_PASSWORD, TEST_PASSWORD] }],
      ['account too long', { account: `${'a'.repeat(250)}@example.com`, password: TEST_PASSWORD }]
    ]
    for (const [what, payload] of badBodies) {
      assertError(t, await login(app, payload), 400, '1400', `login, ${what}`)
      assertError(t, await register(app, payload), 400, '1400', `register, ${what}`)
    }
    assertError(t, await login(app, { account: 'a@example.com', password: TEST_PASSWORD, deviceId: { id: 1 } }), 400, '1400', 'deviceId as an object')
    assertError(t, await login(app, { account: 'a@example.com', password: TEST_PASSWORD, deviceId: 'd'.repeat(129) }), 400, '1400', 'deviceId too long')

    const malformed = await app.inject({ method: 'POST', url: '/auth/login', payload: '{"account":', headers: { 'content-type': 'application/json' } })
    assertError(t, malformed, 400, '1400', 'malformed JSON')
    const malformedRegister = await app.inject({ method: 'POST', url: '/auth/register', payload: '{"account":', headers: { 'content-type': 'application/json' } })
    assertError(t, malformedRegister, 400, '1400', 'malformed JSON on register')
    const empty = await app.inject({ method: 'POST', url: '/auth/login', payload: '', headers: { 'content-type': 'application/json' } })
    assertError(t, empty, 400, '1400', 'empty JSON body')
    assertError(t, await app.inject({ method: 'POST', url: '/auth/login' }), 400, '1400', 'no body')
    const tooLarge = await app.inject({
      method: 'POST', url: '/auth/login', payload: JSON.stringify({ account: 'a@example.com', password: 'p'.repeat(20_000) }), headers: { 'content-type': 'application/json' }
    })
    assertError(t, tooLarge, 413, '1400', 'a body over the size limit')

    const unknownRoute = assertError(t, await app.inject({ method: 'GET', url: '/auth/nope?x=1' }), 404, '1404', 'unknown route')
    t.equal(unknownRoute.info, 'Route GET /auth/nope not found', 'names the route without its query')
    assertError(t, await app.inject({ method: 'GET', url: '/auth/login' }), 404, '1404', 'known path, wrong method')
  })

  // Fastify coerces scalar types by default; for credentials that turns a client bug into a
  // silently different password or account instead of a 400.
  t.test('scalars of the wrong type are refused, not coerced', async (t) => {
    const coercible: Array<[string, InjectOptions['payload']]> = [
      ['password as a number', { account: 'number-password@example.com', password: 123456789 }],
      ['account as a number', { account: 123456, password: TEST_PASSWORD }],
      ['account as a one-element array', { account: ['array-account@example.com'], password: TEST_PASSWORD }],
      ['password as a one-element array', { account: 'array-password@example.com', password: [TEST_PASSWORD] }]
    ]
    for (const [what, payload] of coercible) {
      const registered = await register(app, payload, '10.40.0.1')
      t.equal(registered.statusCode, 400, `register, ${what}: 400 (${registered.body})`)
      const loggedIn = await login(app, payload, '10.40.0.2')
      t.equal(loggedIn.statusCode, 400, `login, ${what}: 400 (${loggedIn.statusCode})`)
    }
  })

  t.test('unknown account and wrong password answer identically', async (t) => {
    const user = await createUser(app)
    const unknown = await login(app, { account: 'nobody-here@example.com', password: TEST_PASSWORD })
    const wrong = await login(app, { account: user.account, password: 'wrong horse battery staple' })
    const unknownBody = assertError(t, unknown, 401, '1010', 'unknown account')
    const wrongBody = assertError(t, wrong, 401, '1010', 'wrong password')
    t.strictSame(unknownBody, wrongBody, 'the same body')
    t.equal(unknown.headers['content-type'], wrong.headers['content-type'], 'the same content type')
    t.equal(unknown.headers['content-length'], wrong.headers['content-length'], 'the same length')
  })

  t.test('logout clears a loginUser cookie only when the browser still holds one', async (t) => {
    const user = await createUser(app)
    const { token } = (await login(app, { account: user.account, password: user.password })).json<IssuedSession>()
    const withoutIt = await app.inject({ method: 'POST', url: '/auth/logout', headers: { token } })
    t.equal(withoutIt.statusCode, 200, withoutIt.body)
    t.strictSame(withoutIt.cookies.map((cookie) => cookie.name).sort(), ['accessToken', 'csrfToken'], 'no loginUser to clear')

    const again = (await login(app, { account: user.account, password: user.password })).json<IssuedSession>()
    const withIt = await app.inject({ method: 'POST', url: '/auth/logout', headers: { token: again.token }, cookies: { loginUser: user.account } })
    t.equal(withIt.statusCode, 200, withIt.body)
    t.equal(cookieNamed(withIt, 'loginUser')?.maxAge, 0, 'a loginUser left from an earlier release is cleared')
  })

  t.test('deviceId is stored with the session', async (t) => {
    const user = await createUser(app)
    const withDevice = await login(app, { account: user.account, password: user.password, deviceId: 'pixel-7-abc' })
    t.equal(withDevice.statusCode, 200, withDevice.body)
    const withoutDevice = await login(app, { account: user.account, password: user.password })
    const { token, sessionId } = withDevice.json<IssuedSession>()

    const res = await app.inject({ method: 'GET', url: '/auth/sessions', headers: { token } })
    t.equal(res.statusCode, 200, res.body)
    const { sessions } = res.json<{ sessions: Array<{ id: string, deviceId: string | null, current: boolean }> }>()
    t.equal(sessions.length, 2, 'both sessions are listed')
    const current = sessions.find((session) => session.id === sessionId)
    t.equal(current?.deviceId, 'pixel-7-abc', 'the deviceId given at login')
    t.equal(current?.current, true, 'marked as the current session')
    const other = sessions.find((session) => session.id === withoutDevice.json<IssuedSession>().sessionId)
    t.equal(other?.deviceId, null, 'no deviceId given, none stored')
    t.equal(other?.current, false)
  })

  t.test('the session list\'s userAgent is a device label made from the login\'s User-Agent header', async (t) => {
    const user = await createUser(app)
    const agents = {
      'Chrome 131 on macOS': 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) ' +
        'Chrome/131.0.0.0 Safari/537.36',
      'Safari 17 on iOS': 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 ' +
        '(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
      'curl/8.5.0': 'curl/8.5.0'
    }
    const sessionLabels = new Map<string, string>()
    let token = ''
    for (const [label, userAgent] of Object.entries(agents)) {
      const res = await app.inject({
        method: 'POST', url: '/auth/login', headers: { 'user-agent': userAgent }, payload: { account: user.account, password: user.password }
      })
      t.equal(res.statusCode, 200, res.body)
      const issued = res.json<IssuedSession>()
      sessionLabels.set(issued.sessionId, label)
      token = issued.token
    }
    const withoutHeader = await app.inject({
      method: 'POST', url: '/auth/login', headers: { 'user-agent': undefined }, payload: { account: user.account, password: user.password }
    })
    sessionLabels.set(withoutHeader.json<IssuedSession>().sessionId, '(none)')

    const res = await app.inject({ method: 'GET', url: '/auth/sessions', headers: { token } })
    t.equal(res.statusCode, 200, res.body)
    const { sessions } = res.json<{ sessions: Array<{ id: string, userAgent: string | null }> }>()
    t.same(new Map(sessions.map((session) => [session.id, session.userAgent ?? '(none)'])), sessionLabels)
    t.notOk(res.body.includes('Mozilla'), 'the header itself is kept nowhere')
  })
})

t.test('with COOKIE_SECURE=true, LOGIN_USER_COOKIE=true and REGISTRATION_OPEN=false', async (t) => {
  const { app } = await buildTestApp(t, { env: { COOKIE_SECURE: 'true', LOGIN_USER_COOKIE: 'true', REGISTRATION_OPEN: 'false' } })
  // What a sibling subdomain can set for the whole site: a cookie with the plain name.
  const PLANTED_CSRF_TOKEN = 'planted-by-a-sibling-subdomain-0123456789'

  async function loggedIn (): Promise<{ res: LightMyRequestResponse, token: string, csrfToken: string }> {
    const user = await createUser(app)
    const res = await login(app, { account: user.account, password: user.password })
    if (res.statusCode !== 200) throw new Error(`login failed: ${res.body}`)
    return { res, token: res.json<IssuedSession>().token, csrfToken: cookieNamed(res, '__Host-csrfToken')?.value ?? '' }
  }

  t.test('cookies are Secure, named __Host- (Path=/, no Domain), loginUser included', async (t) => {
    const user = await createUser(app)
    const res = await login(app, { account: user.account.toUpperCase(), password: user.password })
    t.equal(res.statusCode, 200, res.body)
    t.strictSame(res.cookies.map((cookie) => cookie.name).sort(), ['__Host-accessToken', '__Host-csrfToken', '__Host-loginUser'],
      'only the prefixed names')
    for (const cookie of res.cookies) {
      t.equal(cookie.secure, true, `${cookie.name} is Secure`)
      t.equal(cookie.path, '/', `${cookie.name} has Path=/`)
      t.equal(cookie.domain, undefined, `${cookie.name} has no Domain`)
    }
    const access = cookieNamed(res, '__Host-accessToken')
    t.equal(access?.value, res.json<IssuedSession>().token, '__Host-accessToken holds the token')
    t.equal(access?.httpOnly, true, '__Host-accessToken is HttpOnly')
    const loginUser = cookieNamed(res, '__Host-loginUser')
    t.equal(loginUser?.value, user.account, 'LOGIN_USER_COOKIE=true: the normalised account')
    t.notOk(loginUser?.httpOnly, 'readable by scripts')
    t.ok((cookieNamed(res, '__Host-csrfToken')?.value.length ?? 0) >= 32, '__Host-csrfToken holds a long random value')
  })

  t.test('__Host-accessToken is read first; the plain accessToken and csrfToken still work', async (t) => {
    const { token } = await loggedIn()
    const both = await app.inject({ method: 'GET', url: '/auth/me', cookies: { '__Host-accessToken': token, accessToken: 'stale' } })
    t.equal(both.statusCode, 200, `the prefixed cookie wins over a stale plain one: ${both.body}`)
    const legacy = await app.inject({ method: 'GET', url: '/auth/me', cookies: { accessToken: token } })
    t.equal(legacy.statusCode, 200, `a plain accessToken set by an earlier release: ${legacy.body}`)

    // An earlier release's session: its plain csrfToken vouches for its plain accessToken.
    const legacyCsrf = 'a-csrf-token-an-earlier-release-set-0123456'
    const res = await app.inject({
      method: 'POST', url: '/auth/logout', headers: { 'x-csrf-token': legacyCsrf }, cookies: { accessToken: token, csrfToken: legacyCsrf }
    })
    t.equal(res.statusCode, 200, `an unsafe request with the plain cookies: ${res.body}`)
    t.equal((await me(app, token)).statusCode, 401, 'and the session ended')
  })

  t.test('a __Host- session is vouched for by __Host-csrfToken only, not a plain csrfToken', async (t) => {
    const { token, csrfToken } = await loggedIn()
    const planted = await app.inject({
      method: 'POST',
      url: '/auth/logout',
      headers: { 'x-csrf-token': PLANTED_CSRF_TOKEN },
      cookies: { '__Host-accessToken': token, csrfToken: PLANTED_CSRF_TOKEN }
    })
    assertError(t, planted, 403, '1403', 'x-csrf-token matching a plain csrfToken only')
    t.equal((await me(app, token)).statusCode, 200, 'the refused request changed nothing')

    const proven = await app.inject({
      method: 'POST',
      url: '/auth/logout',
      headers: { 'x-csrf-token': csrfToken },
      cookies: { '__Host-accessToken': token, '__Host-csrfToken': csrfToken, csrfToken: PLANTED_CSRF_TOKEN }
    })
    t.equal(proven.statusCode, 200, `x-csrf-token matching __Host-csrfToken: ${proven.body}`)
  })

  t.test('logout clears the prefixed and the plain names', async (t) => {
    const { token, csrfToken } = await loggedIn()
    const res = await app.inject({
      method: 'POST',
      url: '/auth/logout',
      headers: { 'x-csrf-token': csrfToken },
      cookies: { '__Host-accessToken': token, '__Host-csrfToken': csrfToken, '__Host-loginUser': 'someone', loginUser: 'someone' }
    })
    t.equal(res.statusCode, 200, res.body)
    const names = ['__Host-accessToken', '__Host-csrfToken', '__Host-loginUser', 'accessToken', 'csrfToken', 'loginUser']
    t.strictSame(res.cookies.map((cookie) => cookie.name).sort(), names.sort(), 'every name is cleared')
    for (const cookie of res.cookies) {
      t.equal(cookie.maxAge, 0, `${cookie.name} cleared`)
      t.equal(cookie.secure, true, `${cookie.name}: cleared with Secure, as a __Host- cookie must be`)
    }
  })

  t.test('a login from a browser holding plain-named cookies clears them', async (t) => {
    const user = await createUser(app)
    const res = await app.inject({
      method: 'POST',
      url: '/auth/login',
      payload: { account: user.account, password: user.password },
      cookies: { accessToken: 'old', csrfToken: 'old', loginUser: 'old@example.com' }
    })
    t.equal(res.statusCode, 200, res.body)
    for (const name of ['accessToken', 'csrfToken', 'loginUser']) t.equal(cookieNamed(res, name)?.maxAge, 0, `${name} cleared`)
    t.ok((cookieNamed(res, '__Host-accessToken')?.maxAge ?? 0) > 0, 'the session is in __Host-accessToken')
    t.not(cookieNamed(res, '__Host-csrfToken')?.value, 'old', 'with a fresh __Host-csrfToken')
  })

  t.test('registration is closed', async (t) => {
    const account = 'closed@example.com'
    assertError(t, await register(app, { account, password: TEST_PASSWORD }), 403, '1403', 'register while closed')
    t.equal(await app.users.findByAccount(account), undefined, 'nobody was created')
  })
})
