import t from 'tap'
import { digestOf } from '../../src/refresh/refresh-token.js'
import { SESSION_FIELDS } from '../../src/sessions/session-fields.js'
import { buildTestApp } from '../helpers/build-app.js'
import { createAndLogIn, createUser, expireKeyNow, logIn, me } from '../helpers/sessions.js'
import {
  appOptions, forEachStrategy, refresh, REFRESH_STRATEGIES_WITH_AND_WITHOUT_NEAR_CACHE, refreshTokenOf, sessionTtlEnv, SLIDING,
  STRATEGIES_WITH_AND_WITHOUT_NEAR_CACHE
} from '../helpers/strategies.js'
import { TestClock } from '../helpers/test-clock.js'
import { storedLastSeenAt } from '../helpers/stored-session.js'

// Nothing here waits: the server's clock is a TestClock the tests move, and where Redis' own
// expiry is what happens, a key's TTL is cut short (PEXPIRE) as if the time had passed.
const MS_PER_SECOND = 1000

function loginTimeOf (token: string): number {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()).auth_time
}

// The sliding strategy's own TTL rules: every request slides the TTL, up to the absolute deadline.

t.test('sliding only: a request slides the TTL of its session back to SESSION_TTL', async (t) => {
  const { app } = await buildTestApp(t, appOptions(SLIDING, { SESSION_TTL: '60' }))
  const session = await createAndLogIn(app)
  const key = `ACCESS_TOKEN:{${session.userId}}:${session.sessionId}`
  const atLogin = await app.redis.pttl(key)
  t.ok(atLogin > 59_000 && atLogin <= 60_000, `TTL at login is SESSION_TTL (${atLogin} ms)`)

  // As if the session had been idle for 40 s.
  await app.redis.pexpire(key, 20_000)
  t.equal((await me(app, session.token)).statusCode, 200)
  const afterRequest = await app.redis.pttl(key)
  t.ok(afterRequest > 59_000, `TTL reset by the request (${afterRequest} ms)`)
  t.not(await storedLastSeenAt(app.redis, key), null, 'the request is recorded as lastSeenAt')
})

t.test('sliding only: an idle session expires: 1002 with reason "expired"', async (t) => {
  const { app } = await buildTestApp(t, appOptions(SLIDING, { SESSION_TTL: '60' }))
  const session = await createAndLogIn(app)
  await expireKeyNow(app, `ACCESS_TOKEN:{${session.userId}}:${session.sessionId}`)
  const res = await me(app, session.token)
  t.equal(res.statusCode, 401)
  t.same(res.json(), { code: 0, errorCode: '1002', info: 'Session has ended (expired)', reason: 'expired' })
})

// How long the session scripts keep a key past its absolute deadline (src/sessions/scripts/touch-session.ts).
const DEADLINE_MARGIN_MS = 1000

t.test('sliding only: the absolute lifetime ends even an active session: 1002 "max_lifetime"', async (t) => {
  const clock = new TestClock()
  const { app } = await buildTestApp(t, { ...appOptions(SLIDING, { SESSION_TTL: '60', SESSION_MAX_LIFETIME: '2' }), clock: clock.now })
  const session = await createAndLogIn(app)
  const key = `ACCESS_TOKEN:{${session.userId}}:${session.sessionId}`
  const deadlineMs = (loginTimeOf(session.token) + 2) * MS_PER_SECOND

  // Active until the deadline: every answer is 200 and the TTL never reaches past the deadline,
  // but for the second a key near it is kept past it (so the token's claims, not a missing key,
  // refuse it: reason max_lifetime, not expired).
  while (clock.now() < deadlineMs - 300) {
    t.equal((await me(app, session.token)).statusCode, 200)
    const ttl = await app.redis.pttl(key)
    t.ok(clock.now() + ttl <= deadlineMs + DEADLINE_MARGIN_MS, `the slide is capped at the absolute deadline (${clock.now() + ttl - deadlineMs} ms past it)`)
    // 250 ms pass, for the server and for the key's TTL in Redis alike.
    clock.advance(250)
    await app.redis.pexpire(key, ttl - 250)
  }
  clock.advanceTo(deadlineMs + 1)
  const res = await me(app, session.token)
  t.equal(res.statusCode, 401)
  t.equal(res.json().errorCode, '1002')
  t.equal(res.json().reason, 'max_lifetime')
})

// Their counterparts with refresh tokens: a session lives REFRESH_TOKEN_TTL and only a refresh extends it.

t.test('refresh only: an access request leaves the session TTL (REFRESH_TOKEN_TTL) alone; a refresh resets it', async (t) => {
  forEachStrategy(t, async (t, strategy) => {
    const clock = new TestClock()
    const { app } = await buildTestApp(t, { ...appOptions(strategy, { REFRESH_TOKEN_TTL: '60' }), clock: clock.now })
    const session = await createAndLogIn(app)
    const key = `ACCESS_TOKEN:{${session.userId}}:${session.sessionId}`
    const atLogin = await app.redis.pttl(key)
    t.ok(atLogin > 59_000 && atLogin <= 60_000, `TTL at login is REFRESH_TOKEN_TTL (${atLogin} ms)`)

    // As if 40 s had passed since the login.
    clock.advance(40_000)
    await app.redis.pexpire(key, 20_000)
    const beforeRequest = await app.redis.pttl(key)
    t.equal((await me(app, session.token)).statusCode, 200)
    const afterRequest = await app.redis.pttl(key)
    t.ok(afterRequest <= beforeRequest, `the access request did not extend the TTL (${afterRequest} ms)`)
    t.not(await storedLastSeenAt(app.redis, key), null, 'the request is recorded as lastSeenAt')

    const refreshed = await refresh(app, refreshTokenOf(session.response))
    t.equal(refreshed.statusCode, 200, refreshed.body)
    const afterRefresh = await app.redis.pttl(key)
    t.ok(afterRefresh > 59_000, `the refresh reset the TTL to REFRESH_TOKEN_TTL (${afterRefresh} ms)`)
  }, REFRESH_STRATEGIES_WITH_AND_WITHOUT_NEAR_CACHE)
})

t.test('refresh only: a session ends with its refresh token even while in use', async (t) => {
  forEachStrategy(t, async (t, strategy) => {
    const clock = new TestClock()
    const { app } = await buildTestApp(t, { ...appOptions(strategy, { REFRESH_TOKEN_TTL: '60' }), clock: clock.now })
    const session = await createAndLogIn(app)
    clock.advance(30_000)
    t.equal((await me(app, session.token)).statusCode, 200, 'in use half way through')
    // REFRESH_TOKEN_TTL has passed: by the server's clock, and for the session's key in Redis.
    clock.advance(30_001)
    await expireKeyNow(app, `ACCESS_TOKEN:{${session.userId}}:${session.sessionId}`)
    const res = await me(app, session.token)
    t.equal(res.statusCode, 401)
    if (strategy.name === 'refresh-postgres') {
      // Redis alone cannot tell an expired session from one it lost; PostgreSQL's refresh token can.
      t.equal(res.json().errorCode, '1003', 'refresh tokens in PostgreSQL: "refresh and retry", and the refresh decides')
    } else {
      t.same(res.json(), { code: 0, errorCode: '1002', info: 'Session has ended (expired)', reason: 'expired' })
    }
    const late = await refresh(app, refreshTokenOf(session.response))
    t.equal(late.statusCode, 401)
    t.equal(late.json().errorCode, '1004', 'the expired refresh token is refused')
  }, REFRESH_STRATEGIES_WITH_AND_WITHOUT_NEAR_CACHE)
})

t.test('refresh only: the absolute lifetime ends the session through refreshes: 1002 "max_lifetime"', async (t) => {
  forEachStrategy(t, async (t, strategy) => {
    // Access tokens outlive the test, so the answer at the deadline is 1002, not 1003 (expired access token).
    const clock = new TestClock()
    const env = { ACCESS_TOKEN_TTL: '60', REFRESH_TOKEN_TTL: '60', SESSION_MAX_LIFETIME: '2' }
    const { app } = await buildTestApp(t, { ...appOptions(strategy, env), clock: clock.now })
    const session = await createAndLogIn(app)
    // Counted from the login second, like the access tokens' auth_time: the refresh token has the same deadline.
    const deadlineMs = (loginTimeOf(session.token) + 2) * MS_PER_SECOND

    const refreshed = await refresh(app, refreshTokenOf(session.response))
    t.equal(refreshed.statusCode, 200, refreshed.body)
    const token: string = refreshed.json().token
    t.equal(loginTimeOf(token), loginTimeOf(session.token), 'a refresh keeps the login time')
    while (clock.now() < deadlineMs - 300) {
      t.equal((await me(app, token)).statusCode, 200)
      clock.advance(250)
    }
    clock.advanceTo(deadlineMs + 1)
    for (const accessToken of [session.token, token]) {
      const res = await me(app, accessToken)
      t.equal(res.statusCode, 401)
      t.match(res.json(), { errorCode: '1002', reason: 'max_lifetime' })
    }
    const late = await refresh(app, refreshTokenOf(refreshed))
    t.equal(late.statusCode, 401, late.body)
    t.match(late.json(), { errorCode: '1002', reason: 'max_lifetime' }, 'no refresh past the deadline')
  }, REFRESH_STRATEGIES_WITH_AND_WITHOUT_NEAR_CACHE)
})

// Everything below behaves the same under every strategy.

t.test('SESSION_MAX_LIFETIME=0 turns the absolute lifetime off', async (t) => {
  forEachStrategy(t, async (t, strategy) => {
    const { app } = await buildTestApp(t, appOptions(strategy, { ...sessionTtlEnv(strategy, 100), SESSION_MAX_LIFETIME: '0' }))
    const session = await createAndLogIn(app)
    const ttl = await app.redis.pttl(`ACCESS_TOKEN:{${session.userId}}:${session.sessionId}`)
    t.ok(ttl > 99_000, 'TTL is the full session TTL, not capped')
    t.equal((await me(app, session.token)).statusCode, 200)
    if (strategy.refresh) t.equal((await refresh(app, refreshTokenOf(session.response))).statusCode, 200, 'refreshes work')
  }, STRATEGIES_WITH_AND_WITHOUT_NEAR_CACHE)
})

t.test('the Redis key layout is exactly as documented', async (t) => {
  forEachStrategy(t, async (t, strategy) => {
    const { app } = await buildTestApp(t, appOptions(strategy, sessionTtlEnv(strategy, 600)))
    const user = await createUser(app)
    const session = await logIn(app, user, 'phone-1')
    await me(app, session.token)
    const sessionKey = `ACCESS_TOKEN:{${user.userId}}:${session.sessionId}`
    const indexKey = `ACCESS_TOKEN_INDEX:{${user.userId}}`

    const keys = (await app.redis.keys('ACCESS_TOKEN*')).sort()
    t.same(keys, [sessionKey, indexKey].sort(), 'one hash per session and one index per user')
    t.equal(await app.redis.type(sessionKey), 'hash')
    const hash = await app.redis.hgetall(sessionKey)
    // The Redis refresh store keeps the refresh token's digest in the session hash; the PostgreSQL one in its table.
    const refreshFields = strategy.name === 'refresh' ? ['refreshDigest', 'refreshExpiresAt', 'refreshIssuedAt'] : []
    // One-letter field names: Redis stores the names in every session (see session-fields.ts).
    t.same(Object.keys(hash).sort(), ['a', 'd', 'i', 'l', 't', 'u', 'w', ...refreshFields].sort())
    t.equal(hash.t, 'user', 't: userType, user too, which the previous release compares with the token\'s')
    t.equal(hash.a, user.account, 'a: account, which the previous release needs to take the session for live')
    t.equal(hash.d, 'phone-1', 'd: deviceId')
    t.equal(hash.i, String(0x7f000001 - 2 ** 31), 'i: ip, an IPv4 address as a signed 32-bit integer')
    t.equal(hash.u, 'lightMyRequest', 'u: userAgent, the device label as text (an unknown agent keeps its header)')
    t.ok(Math.abs(Number(hash.l) - Date.now()) < 10_000, 'l: loginAt, ms since epoch')
    t.ok(Number(hash.w) >= 0 && Number(hash.w) < 10_000, 'w: lastSeenAt, ms after loginAt')
    t.same(Object.entries(SESSION_FIELDS).filter(([, name]) => name in hash).map(([field]) => field).sort(),
      ['account', 'deviceId', 'ip', 'lastSeenAfterLogin', 'loginAt', 'userAgent', 'userType'], 'the names are the ones documented')
    const allValues = JSON.stringify(hash)
    t.notOk(allValues.includes(session.token), 'the token is stored nowhere')

    if (strategy.refresh) {
      const refreshToken = refreshTokenOf(session.response)
      const secret = refreshToken.split('.')[2] ?? refreshToken
      t.notOk(allValues.includes(secret), 'the refresh token is not in Redis')
      if (strategy.name === 'refresh') {
        t.ok(hash.refreshDigest, 'the refresh token is stored as its digest')
        t.not(hash.refreshDigest, refreshToken)
        t.equal(hash.refreshDigest, digestOf(refreshToken), 'its SHA-256 digest')
        const lifetime = Number(hash.refreshExpiresAt) - Number(hash.l)
        t.ok(lifetime > 598_000 && lifetime <= 600_000, `refreshExpiresAt is REFRESH_TOKEN_TTL after login (${lifetime} ms)`)
      } else {
        const rows = await app.db.query<{ digest: string, revoked_reason: string | null }>(
          'SELECT digest, revoked_reason FROM refresh_tokens WHERE family = $1', [session.sessionId])
        t.same(rows, [{ digest: digestOf(refreshToken), revoked_reason: null }], 'one row, keyed by the digest')
      }
    }

    t.equal(await app.redis.type(indexKey), 'zset')
    t.same(await app.redis.zrange(indexKey, '0', '-1', 'WITHSCORES'), [session.sessionId, hash.l])
    const sessionTtl = await app.redis.pttl(sessionKey)
    t.ok(sessionTtl > 590_000 && sessionTtl <= 600_000, 'the session has the session TTL')
    t.ok(await app.redis.pttl(indexKey) >= sessionTtl - 1000, 'the index lives at least as long as its sessions')

    const logout = await app.inject({ method: 'POST', url: '/auth/logout', headers: { token: session.token } })
    t.equal(logout.statusCode, 200)
    const tombstoneKey = `ACCESS_TOKEN_REVOKED:{${user.userId}}:${session.sessionId}`
    t.same((await app.redis.keys('ACCESS_TOKEN*')).sort(), [tombstoneKey], 'only the tombstone is left')
    t.equal(await app.redis.get(tombstoneKey), 'logout')
    const tombstoneTtl = await app.redis.pttl(tombstoneKey)
    // Sliding: the logout request itself slid the session to a full SESSION_TTL just before ending it.
    t.ok(tombstoneTtl > 590_000 && tombstoneTtl <= 600_000, 'the tombstone lives no longer than the session would have')
    if (strategy.name === 'refresh-postgres') {
      const rows = await app.db.query<{ revoked_reason: string | null }>(
        'SELECT revoked_reason FROM refresh_tokens WHERE family = $1', [session.sessionId])
      t.same(rows, [{ revoked_reason: 'logout' }], 'the refresh token row is marked revoked')
    }
  })
})

t.test('index entries of sessions that expired on their own are cleaned at the next login', async (t) => {
  forEachStrategy(t, async (t, strategy) => {
    const { app } = await buildTestApp(t, appOptions(strategy, sessionTtlEnv(strategy, 600)))
    const user = await createUser(app)
    for (const expiring of [await logIn(app, user), await logIn(app, user)]) {
      await expireKeyNow(app, `ACCESS_TOKEN:{${user.userId}}:${expiring.sessionId}`)
    }
    const fresh = await logIn(app, user)
    t.same(await app.redis.zrange(`ACCESS_TOKEN_INDEX:{${user.userId}}`, '0', '-1'), [fresh.sessionId])
  }, STRATEGIES_WITH_AND_WITHOUT_NEAR_CACHE)
})

t.test('two devices: logging out one leaves the other signed in', async (t) => {
  forEachStrategy(t, async (t, strategy) => {
    const { app } = await buildTestApp(t, appOptions(strategy))
    const user = await createUser(app)
    const phone = await logIn(app, user, 'phone')
    const laptop = await logIn(app, user, 'laptop')
    const res = await app.inject({ method: 'POST', url: '/auth/logout', headers: { token: phone.token } })
    t.same(res.json(), { result: 'success' })
    t.match(res.headers['set-cookie'], /accessToken=;/, 'the cookie is cleared')
    const after = await me(app, phone.token)
    t.equal(after.statusCode, 401)
    t.same(after.json(), { code: 0, errorCode: '1002', info: 'Session has ended (logout)', reason: 'logout' })
    t.equal((await me(app, laptop.token)).statusCode, 200)

    if (strategy.refresh) {
      t.match(res.headers['set-cookie'], /refreshToken=;/, 'the refresh cookie is cleared')
      const phoneRefresh = await refresh(app, refreshTokenOf(phone.response))
      t.equal(phoneRefresh.statusCode, 401)
      t.match(phoneRefresh.json(), { errorCode: '1002', reason: 'logout' }, "the phone's refresh token ended with it")
      t.equal((await refresh(app, refreshTokenOf(laptop.response))).statusCode, 200, "the laptop's still refreshes")
    }
  }, STRATEGIES_WITH_AND_WITHOUT_NEAR_CACHE)
})

t.test('logout-all ends every session of the user and no other user\'s', async (t) => {
  forEachStrategy(t, async (t, strategy) => {
    const { app } = await buildTestApp(t, appOptions(strategy))
    const user = await createUser(app)
    const sessions = [await logIn(app, user, 'a'), await logIn(app, user, 'b'), await logIn(app, user, 'c')]
    const stranger = await createAndLogIn(app)
    const res = await app.inject({ method: 'POST', url: '/auth/logout-all', headers: { token: sessions[1]?.token } })
    t.same(res.json(), { result: 'success', revoked: 3 })
    for (const session of sessions) {
      t.equal((await me(app, session.token)).json().reason, 'logout_all')
      if (strategy.refresh) t.equal((await refresh(app, refreshTokenOf(session.response))).json().reason, 'logout_all')
    }
    t.equal((await me(app, stranger.token)).statusCode, 200)
    if (strategy.refresh) t.equal((await refresh(app, refreshTokenOf(stranger.response))).statusCode, 200)
    t.equal(await app.redis.exists(`ACCESS_TOKEN_INDEX:{${user.userId}}`), 0, 'the emptied index is gone')
  }, STRATEGIES_WITH_AND_WITHOUT_NEAR_CACHE)
})

t.test('password change ends every session and hands the caller a fresh one', async (t) => {
  forEachStrategy(t, async (t, strategy) => {
    const { app } = await buildTestApp(t, appOptions(strategy))
    const user = await createUser(app)
    const caller = await logIn(app, user, 'phone')
    const other = await logIn(app, user, 'tablet')

    const wrong = await app.inject({
      method: 'POST',
      url: '/auth/password',
      headers: { token: caller.token },
      payload: { oldPassword: 'not the password', newPassword: 'a brand new password' }
    })
    t.equal(wrong.statusCode, 403)
    t.equal(wrong.json().errorCode, '1010')
    t.equal((await me(app, caller.token)).statusCode, 200, 'a wrong old password ends nothing')
    t.equal((await me(app, other.token)).statusCode, 200, 'a wrong old password ends nothing')

    const res = await app.inject({
      method: 'POST',
      url: '/auth/password',
      headers: { token: caller.token },
      payload: { oldPassword: user.password, newPassword: 'a brand new password' }
    })
    t.equal(res.statusCode, 200, res.body)
    const body = res.json()
    t.equal(body.result, 'success')
    t.not(body.token, caller.token)
    t.equal(res.headers['cache-control'], 'no-store')
    t.match(res.headers['set-cookie'], /accessToken=/, 'web clients get the fresh cookie')

    t.equal((await me(app, other.token)).json().reason, 'password_changed')
    t.equal((await me(app, caller.token)).json().reason, 'password_changed')
    t.equal((await me(app, body.token)).statusCode, 200, 'the fresh token works')
    const list = await app.inject({ method: 'GET', url: '/auth/sessions', headers: { token: body.token } })
    t.same(list.json().sessions.map((s: { deviceId: string }) => s.deviceId), ['phone'], 'the fresh session keeps the device')

    if (strategy.refresh) {
      t.match(res.headers['set-cookie'], /refreshToken=/, 'web clients get the fresh refresh cookie')
      for (const old of [caller, other]) {
        t.equal((await refresh(app, refreshTokenOf(old.response))).json().reason, 'password_changed', 'old refresh tokens ended')
      }
      const renewed = await refresh(app, refreshTokenOf(res))
      t.equal(renewed.statusCode, 200, 'the fresh session comes with a refresh token that works')
      t.equal(renewed.json().sessionId, body.sessionId)
    } else {
      t.equal(body.refreshToken, undefined, 'no refresh token with the sliding strategy')
    }

    const oldLogin = await app.inject({ method: 'POST', url: '/auth/login', payload: { account: user.account, password: user.password } })
    t.equal(oldLogin.statusCode, 401)
    t.equal(oldLogin.json().errorCode, '1010')
    await logIn(app, { ...user, password: 'a brand new password' })
  }, STRATEGIES_WITH_AND_WITHOUT_NEAR_CACHE)
})

t.test('session list and revoking one session', async (t) => {
  forEachStrategy(t, async (t, strategy) => {
    const { app } = await buildTestApp(t, appOptions(strategy))
    const user = await createUser(app)
    const phone = await logIn(app, user, 'phone')
    const laptop = await logIn(app, user, 'laptop')
    const stranger = await createAndLogIn(app)

    const list = await app.inject({ method: 'GET', url: '/auth/sessions', headers: { token: laptop.token, 'user-agent': 'Laptop Browser' } })
    t.equal(list.statusCode, 200)
    const { sessions } = list.json()
    t.equal(sessions.length, 2)
    t.same(sessions.map((s: { id: string, current: boolean }) => [s.id, s.current]),
      [[laptop.sessionId, true], [phone.sessionId, false]], 'newest first, this one marked current')
    t.ok(sessions[0].lastSeenAt >= sessions[0].loginAt, 'lastSeenAt of a used session')
    t.equal(sessions[0].ip, '127.0.0.1')
    t.notOk(list.body.includes(phone.token) || list.body.includes(laptop.token), 'no token is exposed')
    if (strategy.refresh) {
      t.notOk(list.body.includes(refreshTokenOf(phone.response)) || list.body.includes(refreshTokenOf(laptop.response)),
        'no refresh token is exposed')
    }

    const foreign = await app.inject({ method: 'DELETE', url: `/auth/sessions/${stranger.sessionId}`, headers: { token: laptop.token } })
    t.equal(foreign.statusCode, 404)
    t.equal(foreign.json().errorCode, '1404')
    t.equal((await me(app, stranger.token)).statusCode, 200, "another user's session is untouched")

    const unknown = await app.inject({ method: 'DELETE', url: '/auth/sessions/AAAAAAAAAAAAAAAAAAAAAA', headers: { token: laptop.token } })
    t.equal(unknown.statusCode, 404)
    const malformed = await app.inject({ method: 'DELETE', url: '/auth/sessions/x', headers: { token: laptop.token } })
    t.equal(malformed.statusCode, 400)
    t.equal(malformed.json().errorCode, '1400')

    const revoke = await app.inject({ method: 'DELETE', url: `/auth/sessions/${phone.sessionId}`, headers: { token: laptop.token } })
    t.same(revoke.json(), { result: 'success' })
    t.equal((await me(app, phone.token)).json().reason, 'revoked')
    t.equal((await me(app, laptop.token)).statusCode, 200)
    if (strategy.refresh) {
      t.equal((await refresh(app, refreshTokenOf(phone.response))).json().reason, 'revoked', "the phone's refresh token ended with it")
    }
    const again = await app.inject({ method: 'DELETE', url: `/auth/sessions/${phone.sessionId}`, headers: { token: laptop.token } })
    t.equal(again.statusCode, 404, 'an ended session cannot be ended twice')
  }, STRATEGIES_WITH_AND_WITHOUT_NEAR_CACHE)
})
