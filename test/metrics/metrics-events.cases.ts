import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { buildTestApp } from '../helpers/build-app.js'
import { reachablePostgresUrl } from '../helpers/database.js'
import { newServiceKey, serviceKeyEntry } from '../../src/service-keys/service-key.js'
import { getMetrics, moved, sample, scrape } from '../helpers/metrics.js'
import { createAndLogIn, createUser, logIn, me, TEST_PASSWORD, uniqueAccount } from '../helpers/sessions.js'
import { logInForRefresh, refresh, refreshTokenOf } from '../helpers/strategies.js'
import { TestClock } from '../helpers/test-clock.js'

// Each group of metrics moves when its event happens, through the public surface.

const databaseUrl = await reachablePostgresUrl()
const LOGIN_PER_IP = 3
const MIN_INTERVAL_SECONDS = 10
const REUSE_GRACE_SECONDS = 5

const ended = (reason: string): string => `auth_sessions_ended_total{reason="${reason}"}`
const logins = (result: string): string => `auth_logins_total{result="${result}"}`
const refreshes = (outcome: string): string => `auth_refreshes_total{outcome="${outcome}"}`

async function failedLogin (app: FastifyInstance, account: string, ip = '127.0.0.1'): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'POST', url: '/auth/login', payload: { account, password: `not ${TEST_PASSWORD}` }, remoteAddress: ip })
}

t.test('logins, sessions, rate limits, the near-cache and HTTP requests are counted', async (t) => {
  const { app } = await buildTestApp(t, { databaseUrl, env: { METRICS: 'on', RATE_LIMIT_LOGIN_IP: String(LOGIN_PER_IP), SESSION_MAX_PER_USER: '2' } })

  t.test('a login: success or bad credentials, a session created, a password verified', async (t) => {
    const user = await createUser(app)
    const before = await scrape(app)
    const session = await logIn(app, user)
    t.equal((await failedLogin(app, user.account)).statusCode, 401)
    t.equal((await failedLogin(app, uniqueAccount())).statusCode, 401)
    const after = await scrape(app)
    t.equal(moved(before, after, logins('success')), 1, 'one success')
    t.equal(moved(before, after, logins('bad_credentials')), 2, 'two bad credentials (a wrong password, an unknown account)')
    t.equal(moved(before, after, 'auth_sessions_created_total{device_type="none"}'), 1, 'one session created')
    t.equal(moved(before, after, 'auth_password_hash_duration_seconds_count{operation="verify"}'), 2, 'two verifications')
    t.equal(moved(before, after, 'auth_password_hash_duration_seconds_count{operation="verify_dummy"}'), 1, 'one dummy verification')
    t.equal(moved(before, after, 'auth_password_hash_wait_seconds_count{operation="verify"}'), 2, 'and their waits')
    t.ok(moved(before, after, 'auth_redis_call_duration_seconds_count') >= 3, 'Redis calls timed (generation, session, rate limits)')

    // The first check reads Redis and writes "last seen", whose invalidation drops what it
    // cached; the entry is read again in the background once that has arrived (sync).
    const beforeChecks = await scrape(app)
    for (let i = 0; i < 2; i++) {
      t.equal((await me(app, session.token)).statusCode, 200)
      await app.nearCache?.sync()
    }
    const cached = await scrape(app)
    t.ok(moved(beforeChecks, cached, 'auth_near_cache_requests_total{result="miss"}') >= 1, 'the first check read Redis')
    t.equal((await me(app, session.token)).statusCode, 200)
    const afterChecks = await scrape(app)
    t.equal(moved(cached, afterChecks, 'auth_near_cache_requests_total{result="hit"}'), 1, 'a cached session is a hit')
    t.equal(moved(cached, afterChecks, 'auth_near_cache_requests_total{result="miss"}'), 0, 'and no miss')
    t.equal(moved(beforeChecks, afterChecks, 'auth_near_cache_requests_total{result="hit"}') +
      moved(beforeChecks, afterChecks, 'auth_near_cache_requests_total{result="miss"}'), 3, 'one hit or miss per check')
    t.ok(sample(afterChecks, 'auth_near_cache_entries') >= 1, 'the session is held')
    t.equal(sample(afterChecks, 'auth_near_cache_enabled'), 1, 'tracking is on')
    t.equal(sample(afterChecks, 'auth_near_cache_max_entries'), 100_000)
    t.equal(sample(afterChecks, 'auth_redis_connected'), 1)
  })

  t.test('sessions ended, by reason', async (t) => {
    const admin = await createAndLogIn(app, 'admin')
    const user = await createUser(app)
    await logIn(app, user)
    await logIn(app, user)
    let before = await scrape(app)
    const third = await logIn(app, user)
    let after = await scrape(app)
    t.equal(moved(before, after, ended('evicted')), 1, 'a login over SESSION_MAX_PER_USER=2 evicted one')

    before = after
    t.equal((await me(app, third.token)).statusCode, 200)
    t.equal((await app.inject({ method: 'POST', url: '/auth/logout', headers: { token: third.token } })).statusCode, 200)
    after = await scrape(app)
    t.equal(moved(before, after, ended('logout')), 1, 'logout')
    t.ok(moved(before, after, 'auth_near_cache_invalidations_total') >= 1, 'the logout dropped the cached session')

    const [a, b] = [await logIn(app, user), await logIn(app, user)]
    before = await scrape(app)
    const deleted = await app.inject({ method: 'DELETE', url: `/auth/sessions/${a.sessionId}`, headers: { token: b.token } })
    t.equal(deleted.statusCode, 200)
    t.equal((await app.inject({ method: 'POST', url: '/auth/logout-all', headers: { token: b.token } })).statusCode, 200)
    after = await scrape(app)
    t.equal(moved(before, after, ended('revoked')), 1, 'ended from the session list')
    t.equal(moved(before, after, ended('logout_all')), 1, 'logout-all, the one session left')

    const c = await logIn(app, user)
    await logIn(app, user)
    before = await scrape(app)
    const changed = await app.inject({
      method: 'POST', url: '/auth/password', headers: { token: c.token }, payload: { oldPassword: TEST_PASSWORD, newPassword: 'another long enough password' }
    })
    t.equal(changed.statusCode, 200, changed.body)
    after = await scrape(app)
    t.equal(moved(before, after, ended('password_changed')), 2, 'a password change ended both sessions')
    t.equal(moved(before, after, 'auth_sessions_created_total{device_type="none"}'), 1, 'and started one')
    t.equal(moved(before, after, 'auth_password_hash_duration_seconds_count{operation="hash"}'), 1, 'the new password was hashed')

    before = after
    const revoked = await app.inject({ method: 'POST', url: '/admin/revoke', headers: { token: admin.token }, payload: { userId: user.userId } })
    t.equal(revoked.statusCode, 200, revoked.body)
    after = await scrape(app)
    t.equal(moved(before, after, ended('admin')), 1, 'an admin ended the session the password change started')
  })

  t.test('a full rate-limit bucket: refusals by bucket, and the login counted as rate limited', async (t) => {
    const ip = '198.51.100.20'
    const before = await scrape(app)
    for (let i = 0; i < LOGIN_PER_IP; i++) t.equal((await failedLogin(app, uniqueAccount(), ip)).statusCode, 401)
    t.equal((await failedLogin(app, uniqueAccount(), ip)).statusCode, 429)
    const after = await scrape(app)
    t.equal(moved(before, after, 'auth_rate_limit_refusals_total{bucket="login_ip"}'), 1, 'the IP bucket refused')
    t.equal(moved(before, after, 'auth_rate_limit_refusals_total{bucket="login_account_ip"}'), 0, 'the account buckets had room')
    t.equal(moved(before, after, logins('rate_limited')), 1)
    t.equal(moved(before, after, logins('bad_credentials')), LOGIN_PER_IP)
  })

  t.test('HTTP requests by route pattern and status, never by URL', async (t) => {
    const session = await createAndLogIn(app)
    const unknownId = 'A'.repeat(22)
    t.equal((await app.inject({ method: 'DELETE', url: `/auth/sessions/${unknownId}`, headers: { token: session.token } })).statusCode, 404)
    // A word, not digits: a sample's value (a duration sum) can hold any run of digits.
    t.equal((await app.inject({ method: 'GET', url: '/no/such/route/unknown-url-probe' })).statusCode, 404)
    const { body } = await getMetrics(app)
    t.ok(body.includes('auth_http_request_duration_seconds_count{method="DELETE",route="/auth/sessions/:id",status_code="404"} 1'), 'the pattern')
    t.ok(body.includes('auth_http_request_duration_seconds_count{method="GET",route="unmatched",status_code="404"} 1'), 'unmatched routes share one label')
    t.notOk(body.includes(unknownId), 'no session id in any label')
    t.notOk(body.includes('unknown-url-probe'), 'no unknown URL in any label')
  })
})

t.test('sessions created by device type: a type a rule names, other, none; logins and the service route alike', async (t) => {
  const serviceKey = newServiceKey()
  const { app } = await buildTestApp(t, {
    databaseUrl,
    env: {
      METRICS: 'on',
      SESSION_DEVICE_RULES: JSON.stringify({ phone: { maxSessions: 5 }, tv: { maxSessions: 1 } }),
      SERVICE_KEYS: JSON.stringify([serviceKeyEntry('billing', serviceKey, ['sessions:start'])])
    }
  })
  const user = await createUser(app)
  const before = await scrape(app)
  await logIn(app, user, undefined, { deviceType: 'phone' })
  await logIn(app, user, undefined, { deviceType: 'watch' })
  await logIn(app, user)
  const started = await app.inject({
    method: 'POST', url: '/service/sessions', headers: { authorization: `Bearer ${serviceKey}` }, payload: { userId: 'ext-user-1', deviceType: 'phone' }
  })
  t.equal(started.statusCode, 201, started.body)
  const after = await scrape(app)
  const created = (label: string): number => moved(before, after, `auth_sessions_created_total{device_type="${label}"}`)
  t.same({ phone: created('phone'), other: created('other'), none: created('none'), tv: created('tv') }, { phone: 2, other: 1, none: 1, tv: 0 },
    'phone: a login and POST /service/sessions; other: a type no rule names (watch); none: no type')
})

t.test('refreshes by outcome', async (t) => {
  const clock = new TestClock()
  const { app } = await buildTestApp(t, {
    databaseUrl,
    clock: clock.now,
    env: { METRICS: 'on', AUTH_STRATEGY: 'refresh', REFRESH_MIN_INTERVAL: String(MIN_INTERVAL_SECONDS), REFRESH_REUSE_GRACE: String(REUSE_GRACE_SECONDS) }
  })
  const user = await createUser(app)
  const login = await logInForRefresh(app, user)
  const before = await scrape(app)
  clock.advance((MIN_INTERVAL_SECONDS + 1) * 1000)
  const rotated = await refresh(app, login.refreshToken)
  t.equal(rotated.statusCode, 200, rotated.body)
  t.equal((await refresh(app, refreshTokenOf(rotated))).statusCode, 429, 'the successor, too soon')
  t.equal((await refresh(app, login.refreshToken)).statusCode, 200, 'the retired token within the grace: the same pair')
  clock.advance((REUSE_GRACE_SECONDS + 1) * 1000)
  t.equal((await refresh(app, login.refreshToken)).statusCode, 401, 'the retired token after the grace: reuse')
  t.equal((await refresh(app, 'not-a-refresh-token')).statusCode, 401)
  t.equal((await app.inject({ method: 'POST', url: '/auth/refresh', payload: {} })).statusCode, 401, 'no token at all')
  const other = await logInForRefresh(app, user)
  t.equal((await app.inject({ method: 'POST', url: '/auth/logout', headers: { token: other.token } })).statusCode, 200)
  t.equal((await refresh(app, other.refreshToken)).statusCode, 401, 'the session had ended')
  const after = await scrape(app)
  t.equal(moved(before, after, refreshes('rotated')), 1)
  t.equal(moved(before, after, refreshes('too_soon')), 1)
  t.equal(moved(before, after, refreshes('replayed')), 1)
  t.equal(moved(before, after, refreshes('reused')), 1)
  t.equal(moved(before, after, refreshes('invalid')), 2, 'a malformed token and none')
  t.equal(moved(before, after, refreshes('ended')), 1)
  t.equal(moved(before, after, ended('refresh_reused')), 1, 'the reuse ended its session')
  t.equal(moved(before, after, ended('logout')), 1)
})

t.test('a burst beyond the password-hashing bound: running, queued, refused', async (t) => {
  const burst = 20
  const { app } = await buildTestApp(t, { databaseUrl, env: { METRICS: 'on', PASSWORD_HASH_CONCURRENCY: '1', RATE_LIMIT_LOGIN_ACCOUNT_IP: String(burst) } })
  const user = await createUser(app, 'user', { productionHash: true })
  const before = await scrape(app)
  const progress = { settled: false }
  const answers = Promise.all(Array.from({ length: burst }, async () =>
    await app.inject({ method: 'POST', url: '/auth/login', payload: { account: user.account, password: user.password } })))
    .finally(() => { progress.settled = true })
  let mostQueued = 0
  let mostRunning = 0
  while (!progress.settled) {
    const now = await scrape(app)
    mostQueued = Math.max(mostQueued, sample(now, 'auth_password_hash_queued'))
    mostRunning = Math.max(mostRunning, sample(now, 'auth_password_hash_running'))
    await sleep(2)
  }
  const busy = (await answers).filter((res) => res.statusCode === 503).length
  const after = await scrape(app)
  t.equal(sample(after, 'auth_password_hash_slots'), 1)
  t.equal(mostRunning, 1, 'one hash ran at a time')
  t.ok(mostQueued >= 1, `hashes waited for the slot (at most ${mostQueued} at once)`)
  t.ok(busy > 0, `some logins were refused (${busy})`)
  t.equal(moved(before, after, 'auth_password_hash_refusals_total'), busy, 'each refusal counted')
  t.equal(moved(before, after, logins('unavailable')), busy, 'and each of those logins as unavailable')
  t.equal(moved(before, after, logins('success')), burst - busy)
  t.equal(sample(after, 'auth_password_hash_queued'), 0, 'nothing waits afterwards')
})

t.test('NEAR_CACHE=off: no near-cache metrics', async (t) => {
  const { app } = await buildTestApp(t, { databaseUrl, env: { METRICS: 'on', NEAR_CACHE: 'off' } })
  const { body } = await getMetrics(app)
  t.notOk(body.includes('auth_near_cache'), 'none of them')
  t.ok(body.includes('auth_logins_total'), 'the others are there')
})
