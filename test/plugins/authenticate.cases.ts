import { createSigner } from 'fast-jwt'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import { generateKeyPairSync } from 'node:crypto'
import t, { type Test } from 'tap'
import { sessionKeys } from '../../src/sessions/session-keys.js'
import { buildTestApp, TEST_JWT_SECRET } from '../helpers/build-app.js'
import { createAndLogIn, me, type LoggedIn } from '../helpers/sessions.js'
import { storedLastSeenAt } from '../helpers/stored-session.js'

const ANOTHER_SECRET = 'another-secret-that-is-32-chars-long!!'
const MAX_TOKEN_LENGTH = 4096
const OWN_HOST = 'auth.example.test'
const TRUSTED_ORIGIN = 'https://app.example'

interface ErrorBody {
  code: number
  errorCode: string
  info: string
}

// Every refusal has exactly the API's error shape: nothing more (no stack, no reason).
function assertError (t: Test, res: LightMyRequestResponse, statusCode: number, errorCode: string, what: string): void {
  t.equal(res.statusCode, statusCode, `${what}: status ${statusCode} (${res.body})`)
  const body = res.json<ErrorBody>()
  t.strictSame(body, { code: 0, errorCode, info: String(body.info) }, `${what}: body is {code:0, errorCode:'${errorCode}', info}`)
  t.type(body.info, 'string', `${what}: info is a string`)
}

function base64urlJson (value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}

function decodePart (token: string, index: number): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[index] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>
}

// A token with the same header and signature but another payload: a forgery that reuses a real signature.
function withPayload (token: string, payload: Record<string, unknown>): string {
  const [header, , signature] = token.split('.')
  return `${header ?? ''}.${base64urlJson(payload)}.${signature ?? ''}`
}

function flipChar (value: string, index: number): string {
  const replacement = value[index] === 'A' ? 'B' : 'A'
  return value.slice(0, index) + replacement + value.slice(index + 1)
}

// A character in the middle of the signature: the last one may only carry padding bits.
function flipSignatureChar (token: string): string {
  return flipChar(token, token.lastIndexOf('.') + 10)
}

const signWithSecret = createSigner({ key: TEST_JWT_SECRET, algorithm: 'HS256' })
const signWithSecretNoIat = createSigner({ key: TEST_JWT_SECRET, algorithm: 'HS256', noTimestamp: true })

type Transport = 'header' | 'bearer' | 'cookie'

function meWith (app: FastifyInstance, transport: Transport, token: string): Promise<LightMyRequestResponse> {
  const request: InjectOptions = { method: 'GET', url: '/auth/me' }
  if (transport === 'header') request.headers = { token }
  else if (transport === 'bearer') request.headers = { authorization: `Bearer ${token}` }
  else request.cookies = { accessToken: token }
  return app.inject(request)
}

function cookieValue (session: LoggedIn, name: string): string {
  const cookie = session.response.cookies.find((c) => c.name === name)
  if (cookie === undefined) throw new Error(`login did not set the ${name} cookie`)
  return cookie.value
}

async function sortedKeys (app: FastifyInstance, prefix: string): Promise<string[]> {
  return (await app.redis.keys(`${prefix}*`)).sort()
}

t.test('with the default configuration', async (t) => {
  const { app, config } = await buildTestApp(t)
  const keys = sessionKeys(config.REDIS_KEY_PREFIX)

  t.test('every transport authenticates GET /auth/me', async (t) => {
    const session = await createAndLogIn(app)
    // Signed in at login: authAt is the session's login time.
    const [view] = await app.sessions.list(session.userId)
    const expected = { userId: session.userId, userType: 'user', deviceType: null, account: session.account, sessionId: session.sessionId, authAt: view?.loginAt, amr: ['pwd'] }

    const byHeader = await app.inject({ method: 'GET', url: '/auth/me', headers: { token: session.token } })
    t.equal(byHeader.statusCode, 200, `token header: ${byHeader.body}`)
    t.strictSame(byHeader.json(), expected, 'token header: the signed-in user')

    const byBearer = await app.inject({ method: 'GET', url: '/auth/me', headers: { authorization: `Bearer ${session.token}` } })
    t.equal(byBearer.statusCode, 200, `Bearer: ${byBearer.body}`)
    t.strictSame(byBearer.json(), expected, 'Bearer: the signed-in user')

    const byLowerBearer = await app.inject({ method: 'GET', url: '/auth/me', headers: { authorization: `bearer ${session.token}` } })
    t.equal(byLowerBearer.statusCode, 200, `lowercase bearer: ${byLowerBearer.body}`)
    t.strictSame(byLowerBearer.json(), expected, 'lowercase bearer: the signed-in user')

    const byCookie = await app.inject({ method: 'GET', url: '/auth/me', cookies: { accessToken: session.token } })
    t.equal(byCookie.statusCode, 200, `accessToken cookie: ${byCookie.body}`)
    t.strictSame(byCookie.json(), expected, 'accessToken cookie: the signed-in user')

    const otherScheme = await app.inject({ method: 'GET', url: '/auth/me', headers: { authorization: `Basic ${session.token}` } })
    assertError(t, otherScheme, 401, '1001', 'Authorization with another scheme')
  })

  t.test('the token header is read first and is not a fallback', async (t) => {
    const session = await createAndLogIn(app)

    const goodHeaderBadBearer = await app.inject({
      method: 'GET', url: '/auth/me', headers: { token: session.token, authorization: 'Bearer garbage.garbage.garbage' }
    })
    t.equal(goodHeaderBadBearer.statusCode, 200, `token header wins over a bad Bearer: ${goodHeaderBadBearer.body}`)

    const goodHeaderBadCookie = await app.inject({
      method: 'GET', url: '/auth/me', headers: { token: session.token }, cookies: { accessToken: 'garbage' }
    })
    t.equal(goodHeaderBadCookie.statusCode, 200, `token header wins over a bad cookie: ${goodHeaderBadCookie.body}`)

    const badHeaderGoodBearer = await app.inject({
      method: 'GET', url: '/auth/me', headers: { token: 'garbage', authorization: `Bearer ${session.token}` }
    })
    assertError(t, badHeaderGoodBearer, 401, '1001', 'a bad token header is not rescued by a good Bearer')

    const badBearerGoodCookie = await app.inject({
      method: 'GET', url: '/auth/me', headers: { authorization: 'Bearer garbage' }, cookies: { accessToken: session.token }
    })
    assertError(t, badBearerGoodCookie, 401, '1001', 'a bad Bearer is not rescued by a good cookie')
  })

  t.test('refused tokens answer 401 "1001", never 500, and change nothing in Redis', async (t) => {
    // The victim's live session: every forgery below carries its claims, so a check that let
    // one through would answer 200 instead of 401.
    const victim = await createAndLogIn(app)
    const other = await createAndLogIn(app)
    const claims = decodePart(victim.token, 1)
    const header = decodePart(victim.token, 0)
    const { privateKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' }
    })
    const live = { userId: victim.userId, userType: 'user', sid: victim.sessionId }

    const oversized = signWithSecret({ ...live, pad: 'x'.repeat(MAX_TOKEN_LENGTH) })
    t.ok(oversized.length > MAX_TOKEN_LENGTH, 'the oversized token is longer than the limit')

    const refused: Array<[string, string]> = [
      ['garbage', 'garbage'],
      ['three garbage parts', 'aaa.bbb.ccc'],
      ['tampered signature', flipSignatureChar(victim.token)],
      ['signed with another secret', createSigner({ key: ANOTHER_SECRET, algorithm: 'HS256' })(live)],
      ['alg none', `${base64urlJson({ alg: 'none', typ: 'JWT' })}.${base64urlJson(claims)}.`],
      ['alg NONE', `${base64urlJson({ alg: 'NONE', typ: 'JWT' })}.${base64urlJson(claims)}.`],
      ['alg none with the old signature', `${base64urlJson({ ...header, alg: 'none' })}.${victim.token.split('.').slice(1).join('.')}`],
      ['HS512 with the right secret', createSigner({ key: TEST_JWT_SECRET, algorithm: 'HS512' })(live)],
      ['RS256', createSigner({ key: privateKey, algorithm: 'RS256' })(live)],
      ['userId changed, old signature', withPayload(victim.token, { ...claims, userId: other.userId })],
      ['userType changed to admin, old signature', withPayload(victim.token, { ...claims, userType: 'admin' })],
      ["another live session's claims, old signature", withPayload(victim.token, decodePart(other.token, 1))],
      ['truncated', victim.token.slice(0, -5)],
      ['signature removed', victim.token.slice(0, victim.token.lastIndexOf('.') + 1)],
      ['two parts', victim.token.split('.').slice(0, 2).join('.')],
      ['oversized', oversized],
      // A string id is an id (issue 25), and "3" names user 3: one with a space in it is not.
      ['userId a string outside the pattern', signWithSecret({ ...live, userId: `${victim.userId} ` })],
      ['userId a string of 65 characters', signWithSecret({ ...live, userId: '9'.repeat(65) })],
      ['userId zero', signWithSecret({ ...live, userId: 0 })],
      ['userId fractional', signWithSecret({ ...live, userId: victim.userId + 0.5 })],
      ['userType root', signWithSecret({ ...live, userType: 'root' })],
      ['sid too short', signWithSecret({ ...live, sid: victim.sessionId.slice(0, 21) })],
      ['sid with foreign characters', signWithSecret({ ...live, sid: `${victim.sessionId}:*` })],
      ['missing iat', signWithSecretNoIat(live)],
      ['iat as a string', signWithSecretNoIat({ ...live, iat: String(claims.iat) })],
      ['payload is not an object', `${base64urlJson(header)}.${base64urlJson('just a string')}.${victim.token.split('.')[2] ?? ''}`]
    ]

    const sessionKey = keys.session(victim.userId, victim.sessionId)
    const keysBefore = await sortedKeys(app, config.REDIS_KEY_PREFIX)
    const dbsizeBefore = await app.redis.dbsize()
    t.ok(keysBefore.includes(sessionKey), 'the victim session key exists')
    t.equal(await storedLastSeenAt(app.redis, sessionKey), null, 'a fresh session has not been touched yet')

    const missing = await app.inject({ method: 'GET', url: '/auth/me' })
    assertError(t, missing, 401, '1001', 'no token at all')
    const emptyHeader = await app.inject({ method: 'GET', url: '/auth/me', headers: { token: '' } })
    assertError(t, emptyHeader, 401, '1001', 'empty token header')
    const emptyBearer = await app.inject({ method: 'GET', url: '/auth/me', headers: { authorization: 'Bearer ' } })
    assertError(t, emptyBearer, 401, '1001', 'empty Bearer')
    const emptyCookie = await app.inject({ method: 'GET', url: '/auth/me', cookies: { accessToken: '' } })
    assertError(t, emptyCookie, 401, '1001', 'empty cookie')

    for (const [what, token] of refused) {
      for (const transport of ['header', 'bearer', 'cookie'] as const) {
        assertError(t, await meWith(app, transport, token), 401, '1001', `${what} (${transport})`)
      }
    }

    t.strictSame(await sortedKeys(app, config.REDIS_KEY_PREFIX), keysBefore, 'refused requests created or deleted no key')
    t.equal(await app.redis.dbsize(), dbsizeBefore, 'dbsize unchanged')
    t.equal(await storedLastSeenAt(app.redis, sessionKey), null, 'refused requests did not touch the victim session')

    // The control: the real token is accepted and does touch the session.
    const real = await me(app, victim.token)
    t.equal(real.statusCode, 200, `the genuine token still works: ${real.body}`)
    t.not(await storedLastSeenAt(app.redis, sessionKey), null, 'a genuine request touches the session')
  })

  t.test('CSRF: unsafe requests authenticated by the cookie alone need proof', async (t) => {
    async function logoutByCookie (session: LoggedIn, extra: Pick<InjectOptions, 'headers'> & { cookies?: Record<string, string> } = {}): Promise<LightMyRequestResponse> {
      return await app.inject({
        method: 'POST',
        url: '/auth/logout',
        headers: extra.headers,
        cookies: { accessToken: session.token, ...extra.cookies }
      })
    }

    async function assertLoggedOut (t: Test, session: LoggedIn, what: string): Promise<void> {
      const res = await me(app, session.token)
      t.equal(res.statusCode, 401, `${what}: the session has ended (${res.body})`)
      t.match(res.json(), { errorCode: '1002', reason: 'logout' }, `${what}: ended by the logout`)
    }

    t.test('no Origin, Referer or x-csrf-token: 403 and the session lives on', async (t) => {
      const session = await createAndLogIn(app)
      const sessionKey = keys.session(session.userId, session.sessionId)
      assertError(t, await logoutByCookie(session), 403, '1403', 'cookie-only POST without proof')
      t.equal(await storedLastSeenAt(app.redis, sessionKey), null, 'the refused request did not touch the session')
      const after = await me(app, session.token)
      t.equal(after.statusCode, 200, `the session still works by header: ${after.body}`)
      const byCookie = await app.inject({ method: 'GET', url: '/auth/me', cookies: { accessToken: session.token } })
      t.equal(byCookie.statusCode, 200, `a GET by cookie alone needs no proof: ${byCookie.body}`)
    })

    t.test('Origin of our own host: 200', async (t) => {
      const session = await createAndLogIn(app)
      const res = await logoutByCookie(session, { headers: { host: OWN_HOST, origin: `http://${OWN_HOST}` } })
      t.equal(res.statusCode, 200, res.body)
      await assertLoggedOut(t, session, 'own origin')
    })

    // Browsers leave the default port out of Host and Origin and write both in lower case, but a
    // client or proxy may not: the comparison is between origins, not between spellings.
    t.test('our own origin however Host spells it (default port, letter case): 200', async (t) => {
      const spellings: Array<[string, Record<string, string>]> = [
        ['localhost:80', { origin: 'http://localhost' }],
        ['localhost:80', { referer: 'http://localhost/settings' }],
        ['Auth.Example.Test', { origin: `http://${OWN_HOST}` }]
      ]
      for (const [host, proof] of spellings) {
        const session = await createAndLogIn(app)
        const res = await logoutByCookie(session, { headers: { host, ...proof } })
        t.equal(res.statusCode, 200, `Host ${host} with ${JSON.stringify(proof)}: ${res.body}`)
      }
    })

    t.test("Origin of inject's default host: 200", async (t) => {
      const session = await createAndLogIn(app)
      const res = await logoutByCookie(session, { headers: { origin: 'http://localhost:80' } })
      t.equal(res.statusCode, 200, res.body)
    })

    t.test('foreign or opaque Origin: 403', async (t) => {
      const session = await createAndLogIn(app)
      for (const origin of ['https://evil.example', `https://${OWN_HOST}`, `http://${OWN_HOST}.evil.example`, 'null']) {
        const res = await logoutByCookie(session, { headers: { host: OWN_HOST, origin } })
        assertError(t, res, 403, '1403', `Origin ${origin}`)
      }
      const foreignOriginOwnReferer = await logoutByCookie(session, {
        headers: { host: OWN_HOST, origin: 'https://evil.example', referer: `http://${OWN_HOST}/settings` }
      })
      assertError(t, foreignOriginOwnReferer, 403, '1403', 'a foreign Origin is not outvoted by our Referer')
      t.equal((await me(app, session.token)).statusCode, 200, 'the session lives on')
    })

    t.test('Referer on our origin: 200; a foreign Referer: 403', async (t) => {
      const session = await createAndLogIn(app)
      const foreign = await logoutByCookie(session, { headers: { host: OWN_HOST, referer: 'https://evil.example/page' } })
      assertError(t, foreign, 403, '1403', 'foreign Referer')
      const garbled = await logoutByCookie(session, { headers: { host: OWN_HOST, referer: 'not a url' } })
      assertError(t, garbled, 403, '1403', 'unparsable Referer')
      const own = await logoutByCookie(session, { headers: { host: OWN_HOST, referer: `http://${OWN_HOST}/account/settings?x=1` } })
      t.equal(own.statusCode, 200, `own Referer: ${own.body}`)
      await assertLoggedOut(t, session, 'own Referer')
    })

    t.test('double-submit x-csrf-token', async (t) => {
      const session = await createAndLogIn(app)
      const csrf = cookieValue(session, 'csrfToken')
      t.ok(csrf.length >= 32, 'the login set a csrfToken cookie')

      const wrongSameLength = await logoutByCookie(session, {
        headers: { 'x-csrf-token': flipChar(csrf, 10) }, cookies: { csrfToken: csrf }
      })
      assertError(t, wrongSameLength, 403, '1403', 'wrong x-csrf-token of the same length')
      const wrongLength = await logoutByCookie(session, { headers: { 'x-csrf-token': 'short' }, cookies: { csrfToken: csrf } })
      assertError(t, wrongLength, 403, '1403', 'wrong x-csrf-token of another length')
      const headerWithoutCookie = await logoutByCookie(session, { headers: { 'x-csrf-token': csrf } })
      assertError(t, headerWithoutCookie, 403, '1403', 'x-csrf-token without the csrfToken cookie')
      const emptyBoth = await logoutByCookie(session, { headers: { 'x-csrf-token': '' }, cookies: { csrfToken: '' } })
      assertError(t, emptyBoth, 403, '1403', 'empty x-csrf-token and empty cookie')
      t.equal((await me(app, session.token)).statusCode, 200, 'the session lives on after the refusals')

      const matching = await logoutByCookie(session, { headers: { 'x-csrf-token': csrf }, cookies: { csrfToken: csrf } })
      t.equal(matching.statusCode, 200, `matching x-csrf-token: ${matching.body}`)
      await assertLoggedOut(t, session, 'double-submit')
    })

    t.test('a token sent in a header needs no CSRF proof', async (t) => {
      const byHeader = await createAndLogIn(app)
      const res = await app.inject({ method: 'POST', url: '/auth/logout', headers: { token: byHeader.token, origin: 'https://evil.example' } })
      t.equal(res.statusCode, 200, `token header, foreign Origin: ${res.body}`)
      await assertLoggedOut(t, byHeader, 'token header')

      const byBearer = await createAndLogIn(app)
      const bearer = await app.inject({ method: 'POST', url: '/auth/logout', headers: { authorization: `Bearer ${byBearer.token}` } })
      t.equal(bearer.statusCode, 200, `Bearer, no proof: ${bearer.body}`)
      await assertLoggedOut(t, byBearer, 'Bearer')
    })
  })

  t.test('admin routes refuse a user token with 403 "1403"', async (t) => {
    const user = await createAndLogIn(app)
    const admin = await createAndLogIn(app, 'admin')

    const list = await app.inject({ method: 'GET', url: `/admin/users/${user.userId}/sessions`, headers: { token: user.token } })
    assertError(t, list, 403, '1403', 'user token on GET /admin/users/:id/sessions')
    const revoke = await app.inject({ method: 'POST', url: '/admin/revoke', headers: { token: user.token }, payload: { userId: admin.userId } })
    assertError(t, revoke, 403, '1403', 'user token on POST /admin/revoke')
    t.equal((await me(app, admin.token)).statusCode, 200, 'the admin session was not revoked by the refused request')

    const asAdmin = await app.inject({ method: 'GET', url: `/admin/users/${user.userId}/sessions`, headers: { token: admin.token } })
    t.equal(asAdmin.statusCode, 200, `the admin token is let through: ${asAdmin.body}`)
    const noToken = await app.inject({ method: 'GET', url: `/admin/users/${user.userId}/sessions` })
    assertError(t, noToken, 401, '1001', 'no token on an admin route')
  })
})

t.test('configured TOKEN_HEADER and CORS_ORIGINS', async (t) => {
  const { app: custom } = await buildTestApp(t, { env: { TOKEN_HEADER: 'x-session-token', CORS_ORIGINS: TRUSTED_ORIGIN } })
  const session = await createAndLogIn(custom)

  const byCustom = await custom.inject({ method: 'GET', url: '/auth/me', headers: { 'x-session-token': session.token } })
  t.equal(byCustom.statusCode, 200, `x-session-token: ${byCustom.body}`)
  const byDefault = await custom.inject({ method: 'GET', url: '/auth/me', headers: { token: session.token } })
  assertError(t, byDefault, 401, '1001', 'the token header is not read when TOKEN_HEADER is changed')
  const byBearer = await custom.inject({ method: 'GET', url: '/auth/me', headers: { authorization: `Bearer ${session.token}` } })
  t.equal(byBearer.statusCode, 200, `Bearer still works: ${byBearer.body}`)

  const untrusted = await custom.inject({
    method: 'POST', url: '/auth/logout', headers: { origin: 'https://other.example' }, cookies: { accessToken: session.token }
  })
  assertError(t, untrusted, 403, '1403', 'an Origin not in CORS_ORIGINS')
  const trusted = await custom.inject({
    method: 'POST', url: '/auth/logout', headers: { origin: TRUSTED_ORIGIN }, cookies: { accessToken: session.token }
  })
  t.equal(trusted.statusCode, 200, `an Origin listed in CORS_ORIGINS: ${trusted.body}`)
  const ended = await custom.inject({ method: 'GET', url: '/auth/me', headers: { 'x-session-token': session.token } })
  t.match(ended.json(), { errorCode: '1002', reason: 'logout' }, 'the trusted-origin logout ended the session')

  const second = await createAndLogIn(custom)
  const byCustomHeader = await custom.inject({ method: 'POST', url: '/auth/logout', headers: { 'x-session-token': second.token } })
  t.equal(byCustomHeader.statusCode, 200, `POST with the configured header needs no CSRF proof: ${byCustomHeader.body}`)
})
