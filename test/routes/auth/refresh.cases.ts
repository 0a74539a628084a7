import { createSigner } from 'fast-jwt'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import { createHash, randomBytes } from 'node:crypto'
import t, { type Test } from 'tap'
import { SESSION_FIELDS } from '../../../src/sessions/session-fields.js'
import { buildTestApp, TEST_JWT_SECRET } from '../../helpers/build-app.js'
import { createUser, logIn, me, type TestUser } from '../../helpers/sessions.js'
import { TestClock } from '../../helpers/test-clock.js'

// The refresh strategy over HTTP: login, rotation, racing refreshes, reuse detection, every
// way a session ends, the exact error codes, rate limits and cookies. Short TTLs come from
// configuration, and the server's clock is a TestClock the tests move: nothing sleeps. Where a
// test needs Redis' TTL to have run down too, it lowers it by the same amount (runDown).

const REFRESH = { AUTH_STRATEGY: 'refresh' }

// As if `ms` had passed for the session's key in Redis: its TTL runs down by that much.
async function runDown (app: FastifyInstance, key: string, ms: number): Promise<void> {
  await app.redis.pexpire(key, await app.redis.pttl(key) - ms)
}
const REFRESH_TOKEN_PATTERN = /^([1-9][0-9]*)\.([A-Za-z0-9_-]{22,64})\.([A-Za-z0-9_-]{43})$/
const DEFAULT_ACCESS_TOKEN_TTL = 1800
const DEFAULT_REFRESH_TOKEN_TTL = 1296000
const CONCURRENT_ROUNDS = 20
const NEW_PASSWORD = 'a brand new passphrase'

interface RefreshSession {
  result: string
  token: string
  userId: number
  userType: string
  sessionId: string
  expiresIn: number
  refreshToken: string
  refreshExpiresIn: number
}

interface ErrorBody {
  code: number
  errorCode: string
  info: string
  reason?: string
}

interface Session extends TestUser {
  token: string
  refreshToken: string
  sessionId: string
  response: LightMyRequestResponse
}

type Cookie = LightMyRequestResponse['cookies'][number]

function claimsOf (token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>
}

function numberClaim (token: string, name: string): number {
  const value = claimsOf(token)[name]
  if (typeof value !== 'number') throw new Error(`claim ${name} is not a number: ${String(value)}`)
  return value
}

function digestOf (token: string): string {
  return createHash('sha256').update(token).digest('base64url')
}

function cookieNamed (res: LightMyRequestResponse, name: string): Cookie | undefined {
  return res.cookies.find((cookie) => cookie.name === name)
}

// A refresh token in the right format for a real session, with a secret nobody was given.
function madeUpRefreshToken (userId: number, sessionId: string): string {
  return `${userId}.${sessionId}.${randomBytes(32).toString('base64url')}`
}

function sessionKey (app: FastifyInstance, userId: number, sessionId: string): string {
  return `${app.config.REDIS_KEY_PREFIX}ACCESS_TOKEN:{${userId}}:${sessionId}`
}

async function logInWithRefresh (app: FastifyInstance, user: TestUser, deviceId?: string): Promise<Session> {
  const loggedIn = await logIn(app, user, deviceId)
  const body = loggedIn.response.json<RefreshSession>()
  if (typeof body.refreshToken !== 'string') throw new Error(`login answered no refresh token: ${loggedIn.response.body}`)
  return { ...loggedIn, refreshToken: body.refreshToken }
}

async function newSession (app: FastifyInstance, userType: 'user' | 'admin' = 'user'): Promise<Session> {
  return await logInWithRefresh(app, await createUser(app, userType))
}

async function refresh (app: FastifyInstance, refreshToken: string, options: Partial<InjectOptions> = {}): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken }, ...options })
}

// A refresh that must succeed; answers the new pair.
async function refreshed (t: Test, app: FastifyInstance, refreshToken: string, what: string): Promise<RefreshSession> {
  const res = await refresh(app, refreshToken)
  t.equal(res.statusCode, 200, `${what}: refresh answers 200${res.statusCode === 200 ? '' : ` (${res.body})`}`)
  return res.json<RefreshSession>()
}

function assertError (t: Test, res: LightMyRequestResponse, statusCode: number, errorCode: string, what: string, reason?: string): void {
  t.equal(res.statusCode, statusCode, `${what}: status ${statusCode} (${res.body})`)
  const body = res.json<ErrorBody>()
  t.equal(body.code, 0, `${what}: code 0`)
  t.equal(body.errorCode, errorCode, `${what}: errorCode ${errorCode}`)
  t.type(body.info, 'string', `${what}: info is a string`)
  t.equal(body.reason, reason, `${what}: reason ${String(reason)}`)
}

async function listedSessionIds (app: FastifyInstance, token: string): Promise<string[]> {
  const res = await app.inject({ method: 'GET', url: '/auth/sessions', headers: { token } })
  if (res.statusCode !== 200) throw new Error(`listing sessions failed: ${res.statusCode} ${res.body}`)
  return res.json<{ sessions: Array<{ id: string }> }>().sessions.map((session) => session.id)
}

// Every string Redis holds under the app's prefix, whatever the type of its key.
async function everyRedisValue (app: FastifyInstance): Promise<string[]> {
  const { redis } = app
  const values: string[] = []
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${app.config.REDIS_KEY_PREFIX}*`, 'COUNT', 1000)
    cursor = next
    for (const key of keys) {
      values.push(key)
      const type = await redis.type(key)
      if (type === 'hash') values.push(...Object.entries(await redis.hgetall(key)).flat())
      else if (type === 'string') values.push(await redis.get(key) ?? '')
      else if (type === 'zset') values.push(...await redis.zrange(key, '0', '-1', 'WITHSCORES'))
      else if (type === 'set') values.push(...await redis.smembers(key))
      else if (type === 'list') values.push(...await redis.lrange(key, 0, -1))
      else values.push(`<unreadable ${type}>`)
    }
  } while (cursor !== '0')
  return values
}

function secretOf (refreshToken: string): string {
  return refreshToken.split('.')[2] ?? ''
}

t.test('AUTH_STRATEGY=refresh with the default settings', async (t) => {
  // A generous per-session budget: the racing rounds below refresh one session a hundred times.
  const clock = new TestClock()
  const { app } = await buildTestApp(t, { env: { ...REFRESH, RATE_LIMIT_REFRESH_SESSION: '1000' }, clock: clock.now })

  t.test('login answers an access token, a refresh token and their lifetimes; Redis keeps only a digest', async (t) => {
    const user = await createUser(app)
    const session = await logInWithRefresh(app, user)
    const res = session.response
    const body = res.json<RefreshSession>()

    t.strictSame(Object.keys(body).sort(),
      ['expiresIn', 'refreshExpiresIn', 'refreshToken', 'result', 'sessionId', 'token', 'userId', 'userType'], 'the body fields')
    t.equal(body.result, 'success')
    t.equal(body.userId, user.userId)
    const match = REFRESH_TOKEN_PATTERN.exec(body.refreshToken)
    t.ok(match !== null, `the refresh token is <userId>.<sessionId>.<43 base64url> (${body.refreshToken})`)
    t.equal(match?.[1], String(user.userId), 'its first part is the user id')
    t.equal(match?.[2], body.sessionId, 'its second part is the session id')
    t.ok(body.expiresIn >= DEFAULT_ACCESS_TOKEN_TTL - 2 && body.expiresIn <= DEFAULT_ACCESS_TOKEN_TTL,
      `expiresIn ≈ ACCESS_TOKEN_TTL (${body.expiresIn})`)
    t.ok(body.refreshExpiresIn >= DEFAULT_REFRESH_TOKEN_TTL - 2 && body.refreshExpiresIn <= DEFAULT_REFRESH_TOKEN_TTL,
      `refreshExpiresIn ≈ REFRESH_TOKEN_TTL (${body.refreshExpiresIn})`)

    const claims = claimsOf(body.token)
    t.strictSame(Object.keys(claims).sort(), ['auth_time', 'exp', 'iat', 'sid', 'userId', 'userType'], 'the access token claims')
    t.equal(claims.exp, numberClaim(body.token, 'iat') + DEFAULT_ACCESS_TOKEN_TTL, 'exp = iat + ACCESS_TOKEN_TTL')
    t.equal(claims.auth_time, claims.iat, 'auth_time is the login time')
    t.equal(claims.sid, body.sessionId, 'sid is the session id')
    t.equal((await me(app, body.token)).statusCode, 200, 'the access token authenticates')

    const refreshCookie = cookieNamed(res, 'refreshToken')
    t.equal(refreshCookie?.value, body.refreshToken, 'the refreshToken cookie carries the refresh token')
    t.equal(refreshCookie?.path, '/auth/refresh', 'refresh cookie Path=/auth/refresh')
    t.equal(refreshCookie?.httpOnly, true, 'refresh cookie HttpOnly')
    t.equal(refreshCookie?.sameSite, 'Strict', 'refresh cookie SameSite=Strict')
    const accessCookie = cookieNamed(res, 'accessToken')
    t.equal(accessCookie?.value, body.token, 'the accessToken cookie carries the access token')
    t.equal(accessCookie?.httpOnly, true, 'access cookie HttpOnly')
    t.ok(cookieNamed(res, 'csrfToken') !== undefined, 'a csrfToken cookie is set')

    const stored = await app.redis.hgetall(sessionKey(app, user.userId, body.sessionId))
    t.equal(stored.refreshDigest, digestOf(body.refreshToken), 'the session hash stores the SHA-256 digest')
    t.not(stored.refreshDigest, body.refreshToken, 'not the token itself')
    const values = await everyRedisValue(app)
    t.ok(values.includes(stored.refreshDigest ?? '-'), `the scan reads hash values (${values.length} strings)`)
    const leaks = values.filter((value) => value.includes(secretOf(body.refreshToken)))
    t.strictSame(leaks, [], 'the refresh token (or its secret) appears nowhere in Redis')
  })

  t.test('a refresh rotates: new access token, new refresh token, same session', async (t) => {
    const session = await newSession(app)
    // A second later, so the new access token's iat (the rotation time) differs from the login's.
    clock.advance(1100)
    const res = await refresh(app, session.refreshToken)
    t.equal(res.statusCode, 200, res.body)
    t.equal(res.headers['cache-control'], 'no-store', 'the answer is not cacheable')
    const body = res.json<RefreshSession>()
    t.not(body.token, session.token, 'a new access token')
    t.not(body.refreshToken, session.refreshToken, 'a new refresh token')
    t.equal(body.sessionId, session.sessionId, 'the same session id')
    t.equal(claimsOf(body.token).sid, session.sessionId, 'the new access token names the same session')
    t.match(body.refreshToken, REFRESH_TOKEN_PATTERN, 'the new refresh token has the same format')
    t.equal(body.refreshToken.split('.')[1], session.sessionId, 'and belongs to the same family')
    t.equal(claimsOf(body.token).auth_time, claimsOf(session.token).auth_time, 'auth_time stays the login time')
    t.ok(numberClaim(body.token, 'iat') > numberClaim(session.token, 'iat'), 'iat is the rotation time')
    t.equal(numberClaim(body.token, 'exp'), numberClaim(body.token, 'iat') + DEFAULT_ACCESS_TOKEN_TTL, 'exp = iat + ACCESS_TOKEN_TTL')

    const meRes = await me(app, body.token)
    t.equal(meRes.statusCode, 200, `the new access token works (${meRes.body})`)
    t.equal(meRes.json<{ sessionId: string }>().sessionId, session.sessionId, 'on the same session')
    t.strictSame(await listedSessionIds(app, body.token), [session.sessionId], 'still exactly one session')

    const stored = await app.redis.hgetall(sessionKey(app, session.userId, session.sessionId))
    t.equal(stored.refreshDigest, digestOf(body.refreshToken), 'the digest of the new token is current')
    t.equal(stored.previousRefreshDigest, digestOf(session.refreshToken), 'the old one is retired')
    const leaks = (await everyRedisValue(app)).filter((value) => value.includes(secretOf(body.refreshToken)))
    t.strictSame(leaks, [], 'the new refresh token is not stored in plain text either')

    const next = await refreshed(t, app, body.refreshToken, 'the new refresh token rotates in turn')
    t.not(next.refreshToken, body.refreshToken, 'into yet another refresh token')
  })

  t.test('two concurrent refreshes with one token get the same pair, a fresh login each round', async (t) => {
    let mismatches = 0
    let failures = 0
    for (let round = 0; round < CONCURRENT_ROUNDS; round++) {
      const session = await newSession(app)
      const answers = await Promise.all([refresh(app, session.refreshToken), refresh(app, session.refreshToken)])
      if (answers.some((res) => res.statusCode !== 200)) {
        failures++
        t.fail(`round ${round}: ${answers.map((res) => `${res.statusCode} ${res.body}`).join(' | ')}`)
        continue
      }
      const [first, second] = answers.map((res) => res.json<RefreshSession>())
      if (first === undefined || second === undefined) throw new Error('two answers expected')
      if (first.token !== second.token || first.refreshToken !== second.refreshToken) mismatches++
      if (first.refreshToken === session.refreshToken) mismatches++
      // The shared successor is the family's current token.
      const current = await app.redis.hget(sessionKey(app, session.userId, session.sessionId), 'refreshDigest')
      if (current !== digestOf(first.refreshToken)) mismatches++
    }
    t.equal(failures, 0, 'every racing refresh answered 200')
    t.equal(mismatches, 0, `every round's two answers are byte-identical and current (${CONCURRENT_ROUNDS} rounds)`)
  })

  t.test('five concurrent refreshes with one token get the same pair, chained through one session', async (t) => {
    const session = await newSession(app)
    let current = session.refreshToken
    let failures = 0
    let mismatches = 0
    const seen = new Set<string>([current])
    for (let round = 0; round < CONCURRENT_ROUNDS; round++) {
      const answers = await Promise.all(Array.from({ length: 5 }, async () => await refresh(app, current)))
      if (answers.some((res) => res.statusCode !== 200)) {
        failures++
        t.fail(`round ${round}: ${answers.map((res) => `${res.statusCode} ${res.body}`).join(' | ')}`)
        break
      }
      const bodies = answers.map((res) => res.json<RefreshSession>())
      if (new Set(bodies.map((body) => body.token)).size !== 1) mismatches++
      if (new Set(bodies.map((body) => body.refreshToken)).size !== 1) mismatches++
      const successor = bodies[0]?.refreshToken ?? ''
      if (seen.has(successor)) mismatches++
      seen.add(successor)
      current = successor
    }
    t.equal(failures, 0, 'every racing refresh answered 200')
    t.equal(mismatches, 0, 'each round\'s five answers are identical, and new')
    const stored = await app.redis.hget(sessionKey(app, session.userId, session.sessionId), 'refreshDigest')
    t.equal(stored, digestOf(current), 'the last shared successor is the family\'s current token')
    t.strictSame(await listedSessionIds(app, session.token), [session.sessionId], 'one session throughout')
  })

  t.test('a retired refresh token within the grace window replays the same pair', async (t) => {
    const session = await newSession(app)
    const rotated = await refreshed(t, app, session.refreshToken, 'the rotation')
    clock.advance(300)
    const replay = await refreshed(t, app, session.refreshToken, 'the retired token within the grace')
    t.equal(replay.token, rotated.token, 'the same access token')
    t.equal(replay.refreshToken, rotated.refreshToken, 'the same refresh token')
    t.equal((await me(app, rotated.token)).statusCode, 200, 'nothing was revoked')
  })

  t.test('refresh of a logged-out session: 1002 logout', async (t) => {
    const session = await newSession(app)
    const out = await app.inject({ method: 'POST', url: '/auth/logout', headers: { token: session.token } })
    t.equal(out.statusCode, 200, out.body)
    assertError(t, await refresh(app, session.refreshToken), 401, '1002', 'refresh after logout', 'logout')
  })

  t.test('refresh after logout-all: 1002 logout_all', async (t) => {
    const user = await createUser(app)
    const here = await logInWithRefresh(app, user)
    const there = await logInWithRefresh(app, user)
    const out = await app.inject({ method: 'POST', url: '/auth/logout-all', headers: { token: here.token } })
    t.equal(out.statusCode, 200, out.body)
    assertError(t, await refresh(app, there.refreshToken), 401, '1002', 'the other session after logout-all', 'logout_all')
    assertError(t, await refresh(app, here.refreshToken), 401, '1002', 'the calling session after logout-all', 'logout_all')
  })

  t.test('refresh after a password change: 1002 password_changed', async (t) => {
    const user = await createUser(app)
    const here = await logInWithRefresh(app, user)
    const there = await logInWithRefresh(app, user)
    const changed = await app.inject({
      method: 'POST',
      url: '/auth/password',
      headers: { token: here.token },
      payload: { oldPassword: user.password, newPassword: NEW_PASSWORD }
    })
    t.equal(changed.statusCode, 200, changed.body)
    const fresh = changed.json<RefreshSession>()
    t.match(fresh.refreshToken, REFRESH_TOKEN_PATTERN, 'the password change answers a new refresh token')
    assertError(t, await refresh(app, there.refreshToken), 401, '1002', 'another session after the change', 'password_changed')
    assertError(t, await refresh(app, here.refreshToken), 401, '1002', 'the old session that changed it', 'password_changed')
    await refreshed(t, app, fresh.refreshToken, 'the session the change started')
  })

  t.test('refresh after DELETE /auth/sessions/:id: 1002 revoked', async (t) => {
    const user = await createUser(app)
    const here = await logInWithRefresh(app, user)
    const lost = await logInWithRefresh(app, user)
    const deleted = await app.inject({ method: 'DELETE', url: `/auth/sessions/${lost.sessionId}`, headers: { token: here.token } })
    t.equal(deleted.statusCode, 200, deleted.body)
    assertError(t, await refresh(app, lost.refreshToken), 401, '1002', 'the deleted session', 'revoked')
    await refreshed(t, app, here.refreshToken, 'the session that deleted it')
  })

  t.test('refresh after an admin revoke: 1002 admin', async (t) => {
    const admin = await newSession(app, 'admin')
    const target = await newSession(app)
    const revoked = await app.inject({
      method: 'POST', url: '/admin/revoke', headers: { token: admin.token }, payload: { userId: target.userId }
    })
    t.equal(revoked.statusCode, 200, revoked.body)
    t.equal(revoked.json<{ revoked: number }>().revoked, 1, 'one session revoked')
    assertError(t, await refresh(app, target.refreshToken), 401, '1002', 'the revoked user\'s session', 'admin')
    t.equal((await me(app, admin.token)).statusCode, 200, 'the admin\'s own session lives on')
  })

  t.test('a logged-out session with an unexpired access token answers 1002', async (t) => {
    const session = await newSession(app)
    const out = await app.inject({ method: 'POST', url: '/auth/logout', headers: { token: session.token } })
    t.equal(out.statusCode, 200, out.body)
    t.ok(numberClaim(session.token, 'exp') * 1000 > clock.now(), 'the access token has not expired')
    assertError(t, await me(app, session.token), 401, '1002', 'the logged-out session', 'logout')
  })

  t.test('tokens signed with another key answer 1001, expired or not; an expired one of ours 1003', async (t) => {
    const session = await newSession(app)
    const nowSeconds = Math.floor(clock.now() / 1000)
    const claims = { userId: session.userId, userType: 'user', sid: session.sessionId, iat: nowSeconds - 100, auth_time: nowSeconds - 100 }
    const foreign = createSigner({ key: 'another-secret-that-is-at-least-32-characters', algorithm: 'HS256' })
    assertError(t, await me(app, foreign({ ...claims, exp: nowSeconds - 50 })), 401, '1001', 'an expired token signed with another key')
    assertError(t, await me(app, foreign({ ...claims, exp: nowSeconds + 600 })), 401, '1001', 'a current token signed with another key')
    const ownKey = createSigner({ key: TEST_JWT_SECRET, algorithm: 'HS256' })
    assertError(t, await me(app, ownKey({ ...claims, exp: nowSeconds - 50 })), 401, '1003', 'an expired token signed with the server\'s key')
    t.equal((await me(app, ownKey({ ...claims, exp: nowSeconds + 600 }))).statusCode, 200,
      'the same claims, unexpired, authenticate: the 1003 was about exp alone')
  })

  t.test('unknown, malformed, missing and oversized refresh tokens', async (t) => {
    const session = await newSession(app)
    assertError(t, await refresh(app, madeUpRefreshToken(session.userId, session.sessionId)), 401, '1004', 'an unknown secret for a real session')
    assertError(t, await refresh(app, madeUpRefreshToken(session.userId + 1000, session.sessionId)), 401, '1004', 'a token naming no session')
    const malformed = ['x', 'not.a.token', `${session.userId}.${session.sessionId}`, `${session.refreshToken}x`,
      `0.${session.sessionId}.${secretOf(session.refreshToken)}`]
    for (const token of malformed) assertError(t, await refresh(app, token), 401, '1004', `malformed "${token}"`)
    assertError(t, await app.inject({ method: 'POST', url: '/auth/refresh' }), 401, '1004', 'no body, no cookie')
    assertError(t, await app.inject({ method: 'POST', url: '/auth/refresh', payload: {} }), 401, '1004', 'an empty body')
    assertError(t, await refresh(app, `${session.refreshToken}${'A'.repeat(200)}`), 400, '1400', 'an oversized refreshToken')
    assertError(t, await app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: 42 } }), 400, '1400',
      'a refreshToken that is not a string')

    await refreshed(t, app, session.refreshToken, 'none of the failures touched the real token')
  })

  t.test('cookie + x-csrf-token rotates and sets both cookies; without the proof 403', async (t) => {
    const session = await newSession(app)
    const refreshCookie = cookieNamed(session.response, 'refreshToken')?.value ?? ''
    const csrfToken = cookieNamed(session.response, 'csrfToken')?.value ?? ''
    t.equal(refreshCookie, session.refreshToken, 'the login set the refresh cookie')
    t.ok(csrfToken.length > 0, 'and a CSRF token cookie')

    const unproven = await app.inject({ method: 'POST', url: '/auth/refresh', cookies: { refreshToken: refreshCookie, csrfToken } })
    assertError(t, unproven, 403, '1403', 'the cookie without the x-csrf-token header')
    const wrongProof = await app.inject({
      method: 'POST', url: '/auth/refresh', cookies: { refreshToken: refreshCookie, csrfToken }, headers: { 'x-csrf-token': `${csrfToken}x` }
    })
    assertError(t, wrongProof, 403, '1403', 'a header that differs from the cookie')
    const foreignOrigin = await app.inject({
      method: 'POST', url: '/auth/refresh', cookies: { refreshToken: refreshCookie }, headers: { origin: 'https://evil.example' }
    })
    assertError(t, foreignOrigin, 403, '1403', 'a foreign Origin')

    const res = await app.inject({
      method: 'POST', url: '/auth/refresh', cookies: { refreshToken: refreshCookie, csrfToken }, headers: { 'x-csrf-token': csrfToken }
    })
    t.equal(res.statusCode, 200, `the proven cookie refresh (${res.body})`)
    const body = res.json<RefreshSession>()
    t.not(body.refreshToken, session.refreshToken, 'rotated: the 403s before it consumed nothing')
    const newAccess = cookieNamed(res, 'accessToken')
    const newRefresh = cookieNamed(res, 'refreshToken')
    t.equal(newAccess?.value, body.token, 'a new accessToken cookie with the new access token')
    t.equal(newAccess?.httpOnly, true, 'accessToken cookie HttpOnly')
    t.equal(newRefresh?.value, body.refreshToken, 'a new refreshToken cookie with the new refresh token')
    t.equal(newRefresh?.path, '/auth/refresh', 'refreshToken cookie Path=/auth/refresh')
    t.equal(newRefresh?.httpOnly, true, 'refreshToken cookie HttpOnly')
    t.equal(newRefresh?.sameSite, 'Strict', 'refreshToken cookie SameSite=Strict')
    t.equal((await me(app, body.token)).statusCode, 200, 'the new access token works')
  })

  t.test('a cookie refresh with the server\'s own Origin as the proof', async (t) => {
    const session = await newSession(app)
    const res = await app.inject({
      method: 'POST',
      url: '/auth/refresh',
      cookies: { refreshToken: session.refreshToken },
      headers: { host: 'auth.example.com', origin: 'http://auth.example.com' }
    })
    t.equal(res.statusCode, 200, `a same-origin cookie refresh (${res.body})`)
    t.not(res.json<RefreshSession>().refreshToken, session.refreshToken, 'rotated')
  })

  t.test('a refresh error clears the cookies', async (t) => {
    const session = await newSession(app)
    const csrfToken = cookieNamed(session.response, 'csrfToken')?.value ?? ''
    const res = await app.inject({
      method: 'POST',
      url: '/auth/refresh',
      cookies: { refreshToken: madeUpRefreshToken(session.userId, session.sessionId), csrfToken },
      headers: { 'x-csrf-token': csrfToken }
    })
    assertError(t, res, 401, '1004', 'an unknown refresh cookie')
    const clearedAccess = cookieNamed(res, 'accessToken')
    const clearedRefresh = cookieNamed(res, 'refreshToken')
    t.equal(clearedAccess?.maxAge, 0, 'accessToken cleared (Max-Age=0)')
    t.equal(clearedAccess?.value, '', 'with an empty value')
    t.equal(clearedRefresh?.maxAge, 0, 'refreshToken cleared (Max-Age=0)')
    t.equal(clearedRefresh?.path, '/auth/refresh', 'on the refresh cookie\'s own path')
    t.equal(cookieNamed(res, 'csrfToken')?.maxAge, 0, 'csrfToken cleared')

    const ended = await app.inject({ method: 'POST', url: '/auth/logout', headers: { token: session.token } })
    t.equal(ended.statusCode, 200, ended.body)
    const afterLogout = await refresh(app, session.refreshToken)
    assertError(t, afterLogout, 401, '1002', 'a 1002 refresh answer', 'logout')
    t.equal(cookieNamed(afterLogout, 'refreshToken')?.maxAge, 0, 'clears the refresh cookie too')
  })
})

t.test('AUTH_STRATEGY=refresh with COOKIE_SECURE=true', async (t) => {
  const { app } = await buildTestApp(t, { env: { ...REFRESH, COOKIE_SECURE: 'true' } })
  // What a sibling subdomain can set for the whole site: a cookie with the plain name.
  const PLANTED_CSRF_TOKEN = 'planted-by-a-sibling-subdomain-0123456789'

  async function cookieRefresh (cookies: Record<string, string>, csrfHeader: string): Promise<LightMyRequestResponse> {
    return await app.inject({ method: 'POST', url: '/auth/refresh', cookies, headers: { 'x-csrf-token': csrfHeader } })
  }

  t.test('login sets __Secure-refreshToken (Path=/auth/refresh) next to the __Host- cookies', async (t) => {
    const session = await newSession(app)
    t.strictSame(session.response.cookies.map((cookie) => cookie.name).sort(),
      ['__Host-accessToken', '__Host-csrfToken', '__Secure-refreshToken'], 'only the prefixed names')
    const refreshCookie = cookieNamed(session.response, '__Secure-refreshToken')
    t.equal(refreshCookie?.value, session.refreshToken, 'it carries the refresh token')
    t.equal(refreshCookie?.secure, true, 'Secure')
    t.equal(refreshCookie?.path, '/auth/refresh', 'Path=/auth/refresh (which __Host- would not allow)')
    t.equal(refreshCookie?.domain, undefined, 'no Domain')
    t.equal(refreshCookie?.httpOnly, true, 'HttpOnly')
  })

  t.test('the refresh reads __Secure-refreshToken first and asks for __Host-csrfToken', async (t) => {
    const session = await newSession(app)
    const csrfToken = cookieNamed(session.response, '__Host-csrfToken')?.value ?? ''
    const planted = await cookieRefresh({ '__Secure-refreshToken': session.refreshToken, csrfToken: PLANTED_CSRF_TOKEN }, PLANTED_CSRF_TOKEN)
    assertError(t, planted, 403, '1403', 'x-csrf-token matching a plain csrfToken only')

    const res = await cookieRefresh({ '__Secure-refreshToken': session.refreshToken, refreshToken: 'stale', '__Host-csrfToken': csrfToken }, csrfToken)
    t.equal(res.statusCode, 200, `the prefixed cookies, a stale plain refreshToken beside them (${res.body})`)
    const body = res.json<RefreshSession>()
    t.not(body.refreshToken, session.refreshToken, 'rotated: the 403 consumed nothing')
    t.equal(cookieNamed(res, '__Secure-refreshToken')?.value, body.refreshToken, 'the new refresh token in __Secure-refreshToken')
    t.equal(cookieNamed(res, '__Host-accessToken')?.value, body.token, 'the new access token in __Host-accessToken')
    t.equal(cookieNamed(res, 'refreshToken')?.maxAge, 0, 'the stale plain refreshToken is cleared')
    t.equal(cookieNamed(res, '__Host-csrfToken'), undefined, 'the CSRF token stays as it is')
  })

  t.test('a plain refreshToken from an earlier release still refreshes, onto the prefixed names', async (t) => {
    const session = await newSession(app)
    const legacyCsrf = 'a-csrf-token-an-earlier-release-set-0123456'
    const res = await cookieRefresh({ refreshToken: session.refreshToken, accessToken: session.token, csrfToken: legacyCsrf }, legacyCsrf)
    t.equal(res.statusCode, 200, `the plain cookies, vouched for by the plain csrfToken (${res.body})`)
    const body = res.json<RefreshSession>()
    t.equal(cookieNamed(res, '__Secure-refreshToken')?.value, body.refreshToken, 'the new refresh token in __Secure-refreshToken')
    t.equal(cookieNamed(res, '__Host-accessToken')?.value, body.token, 'the new access token in __Host-accessToken')
    for (const name of ['refreshToken', 'accessToken', 'csrfToken']) t.equal(cookieNamed(res, name)?.maxAge, 0, `plain ${name} cleared`)
    const csrfToken = cookieNamed(res, '__Host-csrfToken')?.value ?? ''
    t.ok(csrfToken.length >= 32 && csrfToken !== legacyCsrf, 'a fresh __Host-csrfToken, not a copy of the plain one')

    const next = await cookieRefresh({ '__Secure-refreshToken': body.refreshToken, '__Host-csrfToken': csrfToken }, csrfToken)
    t.equal(next.statusCode, 200, `the browser goes on with the prefixed cookies (${next.body})`)
  })

  t.test('a refresh error clears both names', async (t) => {
    const session = await newSession(app)
    const csrfToken = cookieNamed(session.response, '__Host-csrfToken')?.value ?? ''
    const res = await cookieRefresh({ '__Secure-refreshToken': madeUpRefreshToken(session.userId, session.sessionId), '__Host-csrfToken': csrfToken }, csrfToken)
    assertError(t, res, 401, '1004', 'an unknown refresh cookie')
    const names = ['__Host-accessToken', '__Host-csrfToken', '__Secure-refreshToken', 'accessToken', 'csrfToken', 'refreshToken']
    t.strictSame(res.cookies.map((cookie) => cookie.name).sort(), names.sort(), 'every name')
    for (const cookie of res.cookies) t.equal(cookie.maxAge, 0, `${cookie.name} cleared`)
    t.equal(cookieNamed(res, '__Secure-refreshToken')?.path, '/auth/refresh', 'the refresh cookie on its own path')
  })
})

t.test('REFRESH_REUSE_GRACE=1, REFRESH_TOKEN_TTL=5', async (t) => {
  const clock = new TestClock()
  const { app } = await buildTestApp(t, { env: { ...REFRESH, REFRESH_REUSE_GRACE: '1', REFRESH_TOKEN_TTL: '5' }, clock: clock.now })

  t.test('a retired refresh token after the grace window revokes the family', async (t) => {
    const user = await createUser(app)
    const victim = await logInWithRefresh(app, user)
    const bystander = await logInWithRefresh(app, user)
    const rotated = await refreshed(t, app, victim.refreshToken, 'the rotation')

    clock.advance(1001)
    assertError(t, await refresh(app, victim.refreshToken), 401, '1004', 'the retired token a millisecond after the grace')
    assertError(t, await me(app, rotated.token), 401, '1002', 'the family\'s newest access token', 'refresh_reused')
    assertError(t, await refresh(app, rotated.refreshToken), 401, '1002', 'the family\'s newest refresh token', 'refresh_reused')
    assertError(t, await refresh(app, victim.refreshToken), 401, '1002', 'the retired token again: the family has ended', 'refresh_reused')

    t.equal((await me(app, bystander.token)).statusCode, 200, 'another session of the same user is unaffected')
    t.strictSame(await listedSessionIds(app, bystander.token), [bystander.sessionId], 'and is the only one listed')
    await refreshed(t, app, bystander.refreshToken, 'the other session')
  })

  t.test('access requests do not extend the session; a refresh resets its TTL to REFRESH_TOKEN_TTL', async (t) => {
    const session = await newSession(app)
    const key = sessionKey(app, session.userId, session.sessionId)
    const atLogin = await app.redis.pttl(key)
    t.ok(atLogin > 4000 && atLogin <= 5000, `PTTL at login is REFRESH_TOKEN_TTL (${atLogin} ms)`)
    clock.advance(1500)
    await runDown(app, key, 1500)
    t.equal((await me(app, session.token)).statusCode, 200, 'an access request')
    const afterAccess = await app.redis.pttl(key)
    t.ok(afterAccess > 0 && afterAccess < 4000, `the access request did not extend the session (${afterAccess} ms)`)
    const body = await refreshed(t, app, session.refreshToken, 'a refresh 1.5 s after login')
    const afterRefresh = await app.redis.pttl(key)
    t.ok(afterRefresh > 4500, `PTTL reset by the refresh (${afterRefresh} ms)`)
    t.ok(body.refreshExpiresIn >= 4, `refreshExpiresIn starts again (${body.refreshExpiresIn})`)
  })
})

t.test('ACCESS_TOKEN_TTL=1, REFRESH_TOKEN_TTL=3: expired access tokens answer 1003, expired refresh tokens 1004', async (t) => {
  const clock = new TestClock()
  const { app } = await buildTestApp(t, { env: { ...REFRESH, ACCESS_TOKEN_TTL: '1', REFRESH_TOKEN_TTL: '3' }, clock: clock.now })
  const user = await createUser(app)
  const idle = await logInWithRefresh(app, user)
  const active = await logInWithRefresh(app, user)
  const expiresAtOf = async (session: Session): Promise<number> =>
    Number(await app.redis.hget(sessionKey(app, user.userId, session.sessionId), 'refreshExpiresAt'))
  const idleExpiresAt = await expiresAtOf(idle)
  // Rotate shortly before the active family's refresh token would expire: it then lives 3 s from now.
  clock.advanceTo(await expiresAtOf(active) - 400)
  const rotated = await refreshed(t, app, active.refreshToken, 'a refresh shortly before the refresh token expires')
  t.equal(numberClaim(rotated.token, 'exp'), numberClaim(rotated.token, 'iat') + 1, 'exp = iat + ACCESS_TOKEN_TTL')
  t.equal(await expiresAtOf(active) - clock.now(), 3000, 'the rotation extended the family to REFRESH_TOKEN_TTL from now')
  // Until the rotated access token and the idle family's refresh token have both expired.
  clock.advanceTo(Math.max(numberClaim(rotated.token, 'exp') * 1000, idleExpiresAt) + 1)

  assertError(t, await me(app, active.token), 401, '1003', 'the login\'s access token, expired')
  assertError(t, await me(app, rotated.token), 401, '1003', 'the refreshed access token, expired')
  const [header, payload, signature = ''] = rotated.token.split('.')
  const flipped = signature.slice(0, 10) + (signature[10] === 'A' ? 'B' : 'A') + signature.slice(11)
  assertError(t, await me(app, `${header}.${payload}.${flipped}`), 401, '1001', 'the expired token with a tampered signature')
  const forged = Buffer.from(JSON.stringify({ ...claimsOf(rotated.token), userId: user.userId + 1 })).toString('base64url')
  assertError(t, await me(app, `${header}.${forged}.${signature}`), 401, '1001', 'the expired token with a tampered payload')

  assertError(t, await refresh(app, idle.refreshToken), 401, '1004', 'the idle family\'s expired refresh token')
  const next = await refreshed(t, app, rotated.refreshToken, 'the active family, whose refresh token has not expired')
  t.equal(next.sessionId, active.sessionId, 'the same session goes on')
  t.ok(numberClaim(next.token, 'exp') > numberClaim(rotated.token, 'exp'), 'with a later-expiring access token')
})

t.test('REFRESH_MIN_INTERVAL=2, SESSION_SLIDING=false, REFRESH_TOKEN_TTL=5', async (t) => {
  const clock = new TestClock()
  const { app } = await buildTestApp(t, {
    env: { ...REFRESH, REFRESH_MIN_INTERVAL: '2', SESSION_SLIDING: 'false', REFRESH_TOKEN_TTL: '5' },
    clock: clock.now
  })

  t.test('a refresh too soon answers 429 with Retry-After and revokes nothing', async (t) => {
    const session = await newSession(app)
    const key = sessionKey(app, session.userId, session.sessionId)
    const early = await refresh(app, session.refreshToken)
    assertError(t, early, 429, '1029', 'a refresh right after login')
    const retryAfter = Number(early.headers['retry-after'])
    t.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 2,
      `Retry-After is 1..REFRESH_MIN_INTERVAL (${String(early.headers['retry-after'])})`)
    t.equal(cookieNamed(early, 'refreshToken'), undefined, 'the 429 does not touch the refresh cookie')
    t.equal(cookieNamed(early, 'accessToken'), undefined, 'nor the access cookie')

    t.equal((await me(app, session.token)).statusCode, 200, 'the access token still works')
    t.strictSame(await listedSessionIds(app, session.token), [session.sessionId], 'the session is still listed')
    t.equal(await app.redis.hget(key, 'refreshDigest'), digestOf(session.refreshToken), 'the refresh token is still the current one')
    t.equal(await app.redis.hget(key, 'previousRefreshDigest'), null, 'nothing was rotated')
    assertError(t, await refresh(app, session.refreshToken), 429, '1029', 'the same token again: still only "too soon"')

    clock.advance(retryAfter * 1000)
    const later = await refreshed(t, app, session.refreshToken, 'the same token after Retry-After')
    t.equal((await me(app, later.token)).statusCode, 200, 'the refreshed access token works')
    assertError(t, await refresh(app, later.refreshToken), 429, '1029', 'the next refresh right away is too soon again')
  })

  t.test('SESSION_SLIDING=false: a refresh keeps the session\'s original expiry', async (t) => {
    const session = await newSession(app)
    const key = sessionKey(app, session.userId, session.sessionId)
    const atLogin = await app.redis.pttl(key)
    t.ok(atLogin > 4000 && atLogin <= 5000, `PTTL at login is REFRESH_TOKEN_TTL (${atLogin} ms)`)
    clock.advance(2100)
    await runDown(app, key, 2100)
    const body = await refreshed(t, app, session.refreshToken, 'a refresh 2.1 s after login')
    const afterRefresh = await app.redis.pttl(key)
    t.ok(afterRefresh > 0 && afterRefresh < 3000, `PTTL not reset by the refresh (${afterRefresh} ms)`)
    t.ok(body.refreshExpiresIn <= 2, `refreshExpiresIn counts down from login (${body.refreshExpiresIn})`)
    t.equal((await me(app, body.token)).statusCode, 200, 'the refreshed access token works')
  })
})

t.test('SESSION_MAX_LIFETIME=3 caps refresh families', async (t) => {
  // Access tokens outlive the deadline here, so what refuses them afterwards is the lifetime, not their exp.
  const clock = new TestClock()
  const { app } = await buildTestApp(t, { env: { ...REFRESH, SESSION_MAX_LIFETIME: '3', ACCESS_TOKEN_TTL: '60' }, clock: clock.now })

  t.test('refreshes keep a session going until the deadline, not after', async (t) => {
    const session = await newSession(app)
    const loginAt = Number(await app.redis.hget(sessionKey(app, session.userId, session.sessionId), SESSION_FIELDS.loginAt))
    const authTime = numberClaim(session.token, 'auth_time')
    t.ok(loginAt >= authTime * 1000 && loginAt < (authTime + 1) * 1000, 'the record\'s loginAt is within auth_time\'s second')
    // auth_time counts whole seconds, so the token's deadline can come before the record's.
    const earliestDeadline = authTime * 1000 + 3000
    const latestDeadline = loginAt + 3000

    let current = session.refreshToken
    let latestAccess = session.token
    let refreshes = 0
    let failures = 0
    while (clock.now() < earliestDeadline - 250) {
      const res = await refresh(app, current)
      refreshes++
      if (res.statusCode !== 200) {
        failures++
        t.fail(`refresh ${refreshes} before the deadline: ${res.statusCode} ${res.body}`)
        break
      }
      const body = res.json<RefreshSession>()
      t.equal(numberClaim(body.token, 'auth_time'), authTime, `refresh ${refreshes}: auth_time stays the login time`)
      t.equal((await me(app, body.token)).statusCode, 200, `refresh ${refreshes}: its access token works`)
      current = body.refreshToken
      latestAccess = body.token
      clock.advance(900)
    }
    t.ok(refreshes >= 2, `refreshed ${refreshes} times before the deadline`)
    t.equal(failures, 0, 'every refresh before the deadline answered 200')

    // The last step of 900 ms may already have passed it (a login early in its second).
    clock.advanceTo(Math.max(clock.now(), latestDeadline))
    t.ok(numberClaim(latestAccess, 'exp') * 1000 > clock.now(), 'the latest access token itself has not expired')
    assertError(t, await refresh(app, current), 401, '1002', 'a refresh after the deadline', 'max_lifetime')
    assertError(t, await me(app, latestAccess), 401, '1002', 'the latest access token after the deadline', 'max_lifetime')
  })

  t.test('refresh and access tokens agree on when the lifetime is over', async (t) => {
    // Log in late in a second, so the record's loginAt (ms) lies well after auth_time (whole seconds).
    clock.advance(1500 - (clock.now() % 1000))
    const session = await newSession(app)
    const loginAt = Number(await app.redis.hget(sessionKey(app, session.userId, session.sessionId), SESSION_FIELDS.loginAt))
    const authTime = numberClaim(session.token, 'auth_time')
    const gapMs = loginAt - authTime * 1000
    if (gapMs < 250) {
      t.plan(0, `the login landed too early in its second (${gapMs} ms) to fall between the two deadlines`)
      return
    }
    // Past the deadline as the access token counts it, before it as the record counts it.
    clock.advanceTo(authTime * 1000 + 3000)
    assertError(t, await me(app, session.token), 401, '1002', 'the access token just past auth_time + SESSION_MAX_LIFETIME', 'max_lifetime')
    const res = await refresh(app, session.refreshToken)
    // Were it to succeed, the client would hold a fresh access token that is already refused.
    const issuedAnswer = res.statusCode === 200 ? (await me(app, res.json<RefreshSession>().token)).body : 'none'
    t.equal(res.statusCode, 401, `a refresh at the same moment is refused too (its access token answers: ${issuedAnswer})`)
    t.equal(res.json<ErrorBody>().errorCode, '1002', 'errorCode 1002')
    t.equal(res.json<ErrorBody>().reason, 'max_lifetime', 'reason max_lifetime')
  })
})

t.test('refresh rate limits', async (t) => {
  const { app } = await buildTestApp(t, { env: { ...REFRESH, RATE_LIMIT_REFRESH_IP: '3', RATE_LIMIT_REFRESH_SESSION: '2' } })

  t.test('RATE_LIMIT_REFRESH_IP counts failed refreshes per client IP', async (t) => {
    const session = await newSession(app)
    const remoteAddress = '203.0.113.7'
    for (let i = 1; i <= 3; i++) {
      const res = await refresh(app, madeUpRefreshToken(session.userId, session.sessionId), { remoteAddress })
      assertError(t, res, 401, '1004', `unknown token ${i}`)
    }
    const blocked = await refresh(app, madeUpRefreshToken(session.userId, session.sessionId), { remoteAddress })
    assertError(t, blocked, 429, '1029', 'the 4th failed refresh from that IP')
    t.ok(Number(blocked.headers['retry-after']) >= 1, `with Retry-After (${String(blocked.headers['retry-after'])})`)
    // The made-up tokens named this session; their cost fell on the sender's IP alone.
    await refreshed(t, app, session.refreshToken, 'the named session, from another client')
  })

  t.test('successful refreshes do not use up the IP budget', async (t) => {
    const remoteAddress = '203.0.113.8'
    let failures = 0
    // Five sessions, one refresh each: more successes than the IP budget of 3.
    for (let i = 1; i <= 5; i++) {
      const session = await newSession(app)
      const res = await refresh(app, session.refreshToken, { remoteAddress })
      if (res.statusCode !== 200) {
        failures++
        t.fail(`successful refresh ${i}: ${res.statusCode} ${res.body}`)
      }
    }
    t.equal(failures, 0, '5 successful refreshes in a row from one IP all answer 200')
    for (let i = 1; i <= 3; i++) {
      assertError(t, await refresh(app, 'garbage', { remoteAddress }), 401, '1004', `failure ${i} afterwards: the budget was untouched`)
    }
    assertError(t, await refresh(app, 'garbage', { remoteAddress }), 429, '1029', 'the 4th failure is refused')
  })

  t.test('RATE_LIMIT_REFRESH_SESSION caps refreshes of one session and revokes nothing', async (t) => {
    const session = await newSession(app)
    const remoteAddress = '203.0.113.9'
    const first = await refreshed(t, app, session.refreshToken, 'refresh 1 of 2')
    const second = await refreshed(t, app, first.refreshToken, 'refresh 2 of 2')
    const third = await refresh(app, second.refreshToken, { remoteAddress })
    assertError(t, third, 429, '1029', 'the third refresh of the session within the window')
    t.ok(Number(third.headers['retry-after']) >= 1, `with Retry-After (${String(third.headers['retry-after'])})`)
    t.equal(cookieNamed(third, 'refreshToken'), undefined, 'the 429 does not clear the refresh cookie')

    t.equal((await me(app, second.token)).statusCode, 200, 'the session\'s latest access token still works')
    t.strictSame(await listedSessionIds(app, second.token), [session.sessionId], 'the session is still listed')
    t.equal(await app.redis.hget(sessionKey(app, session.userId, session.sessionId), 'refreshDigest'), digestOf(second.refreshToken),
      'its latest refresh token is still current')
    const other = await newSession(app)
    await refreshed(t, app, other.refreshToken, 'another session has a budget of its own')
  })
})

t.test('with the default sliding strategy there is no refresh', async (t) => {
  const { app } = await buildTestApp(t)
  const user = await createUser(app)
  const session = await logIn(app, user)
  const body = session.response.json<Record<string, unknown>>()
  t.notOk('refreshToken' in body, 'the login body has no refreshToken')
  t.notOk('refreshExpiresIn' in body, 'nor refreshExpiresIn')
  t.notOk('expiresIn' in body, 'nor expiresIn')
  t.equal(cookieNamed(session.response, 'refreshToken'), undefined, 'no refreshToken cookie')
  t.notOk('exp' in claimsOf(session.token), 'the access token has no exp')
  assertError(t, await refresh(app, madeUpRefreshToken(user.userId, session.sessionId)), 404, '1404', 'POST /auth/refresh')
  assertError(t, await app.inject({ method: 'POST', url: '/auth/refresh' }), 404, '1404', 'POST /auth/refresh without a body')
})
