import { createHash, randomBytes } from 'node:crypto'
import t from 'tap'
import { refreshPolicyOf, sessionPolicyOf } from '../../src/config/session-policies.js'
import { AttemptLimiter, type AttemptLimits } from '../../src/rate-limit/attempt-limiter.js'
import { defineAttemptCommands, refusalKeyOf, reserveAttemptCall } from '../../src/rate-limit/attempt-scripts.js'
import { resetTokenDigest } from '../../src/recovery/reset-token.js'
import { ResetTokenStore, resetTokenKeys } from '../../src/recovery/reset-token-store.js'
import { RedisRefreshTokenStore } from '../../src/refresh/redis-refresh-token-store.js'
import { parseRefreshToken } from '../../src/refresh/refresh-token.js'
import { RefreshService } from '../../src/refresh/refresh-service.js'
import { RedisSessionStore } from '../../src/sessions/redis-session-store.js'
import { sessionKeys } from '../../src/sessions/session-keys.js'
import { SessionService } from '../../src/sessions/session-service.js'
import type { SessionClaims } from '../../src/tokens/session-claims.js'
import { RedisCluster } from '../helpers/redis-cluster.js'
import { TestClock } from '../helpers/test-clock.js'
import { strategySettings } from '../helpers/strategy-settings.js'

// "The same scripts run on one Redis and on a cluster": the session and refresh stores and the
// rate limiter and the password-reset tokens, given an ioredis Cluster client of a real three-node cluster. What spans nodes
// fails there (shown first, so that this test could fail): every call the code sends must name
// the keys of one slot.

const WINDOW_SECONDS = 900
const CAP = 2
const LIMITS: AttemptLimits = {
  loginPerAccountIp: 2,
  loginPerAccount: 100,
  loginPerIp: 100,
  passwordPerSession: 5,
  registerPerIp: 20,
  refreshPerSession: 30,
  refreshPerIp: 100,
  serviceKeyPerIp: 20,
  resetPerAccount: 3,
  resetPerIp: 20,
  windowSeconds: WINDOW_SECONDS
}
// Like the server with AUTH_STRATEGY=refresh and a cap of two sessions per user.
const SETTINGS = strategySettings({ AUTH_STRATEGY: 'refresh', SESSION_MAX_PER_USER: CAP })
const ACCOUNT = 'ada.lovelace@example.com'
const IP = '192.0.2.1'
// Users whose keys lie on each of the three nodes (checked below).
const USER_IDS = [1, 3, 4]

const cluster = await RedisCluster.start()
t.teardown(async () => await cluster.destroy())
const redis = cluster.client()
t.teardown(() => redis.disconnect())

// As docs/redis-keys.md spells them: account-ip, account, ip.
function loginBucketKeys (account: string, ip: string): string[] {
  const digest = createHash('sha256').update(account).digest('base64url').slice(0, 22)
  return [`RATE_LIMIT:login:account-ip:${digest}:${ip}`, `RATE_LIMIT:login:account:${digest}`, `RATE_LIMIT:login:ip:${ip}`]
}

t.test('a pipeline over the login buckets, which lie on several nodes, is refused', async (t) => {
  defineAttemptCommands(redis)
  const keys = loginBucketKeys(ACCOUNT, IP)
  const nodes = new Set(await Promise.all(keys.map(async (key) => await cluster.nodeOf(key))))
  t.ok(nodes.size > 1, `the buckets lie on ${nodes.size} nodes`)
  const pipeline = redis.pipeline()
  for (const key of keys) pipeline.attemptReserve(...reserveAttemptCall([{ counterKey: key, refusalKey: refusalKeyOf(key, ''), limit: 1 }], { windowMs: WINDOW_SECONDS * 1000, refusalTtlMs: WINDOW_SECONDS * 1000 }))
  await t.rejects(pipeline.exec(), /same slots allocation group/)
})

// Why the rate limiter makes one call per bucket on a cluster (and one for all on one Redis).
t.test('one script call over the login buckets, which lie in several slots, is refused', async (t) => {
  defineAttemptCommands(redis)
  const budgets = loginBucketKeys(ACCOUNT, IP).map((key) => ({ counterKey: key, refusalKey: refusalKeyOf(key, ''), limit: 1 }))
  await t.rejects(redis.attemptReserve(...reserveAttemptCall(budgets, { windowMs: WINDOW_SECONDS * 1000, refusalTtlMs: WINDOW_SECONDS * 1000 })), /CROSSSLOT/)
})

t.test('the rate limiter counts and hands back attempts across nodes', async (t) => {
  const limiter = new AttemptLimiter(redis, LIMITS)
  const keys = loginBucketKeys(ACCOUNT, IP)
  for (let i = 0; i < LIMITS.loginPerAccountIp; i++) {
    t.equal(await limiter.guardLogin(ACCOUNT, IP, async () => undefined), undefined, `failed login #${i + 1}`)
  }
  await t.rejects(limiter.guardLogin(ACCOUNT, IP, async () => 'not reached'), { code: 'AUTH_1029', statusCode: 429 }, 'the account-ip budget is spent')
  t.same(await Promise.all(keys.map(async (key) => await redis.get(key))), ['2', '2', '2'], 'each bucket counted the two failures')
  t.equal(await limiter.guardLogin('grace.hopper@example.com', IP, async () => 'checked'), 'checked', 'another account logs in')
  t.same(await Promise.all(keys.map(async (key) => await redis.get(key))), ['2', '2', '2'], 'a success is handed back')
  t.equal(await limiter.guardRefresh('1:family', IP, async () => 'refreshed', () => 'session'), 'refreshed', 'a refresh')
  t.same([await redis.get('RATE_LIMIT:refresh:session:1:family'), await redis.get(`RATE_LIMIT:refresh:ip:${IP}`)], ['1', '0'],
    'a refresh is charged to its session only')
})

t.test('every session and refresh script runs on a cluster', async (t) => {
  const keys = sessionKeys()
  t.same(new Set(await Promise.all(USER_IDS.map(async (userId) => await cluster.nodeOf(keys.index(userId))))).size, USER_IDS.length,
    'the users lie on three nodes')
  const store = new RedisSessionStore(redis, { fallbackTombstoneTtlMs: 60_000 })
  const successorKey = randomBytes(32)
  const refreshStore = new RedisRefreshTokenStore(redis, store, successorKey)
  // Moved a millisecond before each login: the index orders sessions by login time.
  const clock = new TestClock()
  const sessions = new SessionService(store, sessionPolicyOf(SETTINGS), refreshStore, clock.now)
  const refreshService = new RefreshService(refreshStore, successorKey, refreshPolicyOf(SETTINGS))

  for (const userId of USER_IDS) {
    const logins: SessionClaims[] = []
    for (const deviceId of ['phone', 'laptop', 'tablet']) {
      const start = { userId, userType: 'user' as const, account: `user-${userId}`, deviceId, ip: IP }
      clock.advance(1)
      const claims = await sessions.start(start, await sessions.generation(userId))
      if (claims === undefined) throw new Error('no session')
      logins.push(claims)
    }
    const [phone, laptop, tablet] = logins as [SessionClaims, SessionClaims, SessionClaims]
    await t.rejects(sessions.authenticate(phone), { code: 'AUTH_1002', reason: 'evicted' }, `user ${userId}: the login beyond the cap evicted the oldest`)
    t.same((await sessions.list(userId)).map((record) => record.deviceId).sort(), ['laptop', 'tablet'], 'the list holds the other two')

    const tabletRecord = { userId, sessionId: tablet.sid, userType: 'user' as const, account: `user-${userId}`, loginAt: Date.now(), ip: IP }
    const issued = await refreshService.issue(tabletRecord)
    const presented = parseRefreshToken(issued?.refreshToken ?? '')
    if (presented === undefined) throw new Error('no refresh token')
    t.match(await refreshService.refresh(presented), { status: 'refreshed' }, `user ${userId}: a refresh rotates`)
    t.same(await store.resume(tabletRecord, 60_000), { status: 'alive' }, 'a resume keeps it')

    t.equal(await sessions.endAll(userId, 'admin', { deviceId: 'laptop' }), 1, "one device's sessions end")
    t.equal(await sessions.end(userId, tablet.sid, 'logout'), true, 'a logout')
    await sessions.start({ userId, userType: 'user', account: `user-${userId}`, ip: IP }, await sessions.generation(userId))
    const generation = await sessions.generation(userId)
    t.equal(await sessions.endAll(userId, 'logout_all'), 1, 'a logout-all')
    t.not(await sessions.generation(userId), generation, 'and its cut-off')
    await t.rejects(sessions.authenticate(laptop), { code: 'AUTH_1002', reason: 'admin' }, "the other device's session ended")
  }
})

t.test('the bans of users on three nodes are read together, one GET per user', async (t) => {
  const store = new RedisSessionStore(redis, { fallbackTombstoneTtlMs: 60_000 })
  const [first = 0, second = 0, third = 0] = USER_IDS
  await store.ban(first, { reason: 'spam', bannedAtMs: 1, actor: 'cli' }, 60_000)
  await store.ban(third, { reason: 'fraud', bannedAtMs: 2 }, undefined)
  t.same(await store.findBans([first, second, third, 'app-user']), [
    { reason: 'spam', bannedAtMs: 1, actor: 'cli' }, undefined, { reason: 'fraud', bannedAtMs: 2 }, undefined
  ], 'each ban in its user\'s place')
  t.same(await store.findBans([]), [], 'no users: an empty answer')
  for (const userId of [first, third]) await store.unban(userId)
})

t.test('password-reset tokens and their budgets work across nodes: one live token per user, single use', async (t) => {
  const tokens = new ResetTokenStore(redis, WINDOW_SECONDS)
  const keys = resetTokenKeys()
  // The pointers share the users' hash tags, which lie on three nodes (checked above).
  t.same(new Set(await Promise.all(USER_IDS.map(async (userId) => await cluster.nodeOf(keys.userPointer(userId))))).size, USER_IDS.length)
  for (const userId of USER_IDS) {
    const first = await tokens.issue(userId, Date.now())
    const second = await tokens.issue(userId, Date.now())
    t.equal(await tokens.find(first.token), undefined, `user ${userId}: the replaced token is gone`)
    t.equal(await tokens.find(second.token), userId)
    t.equal(await redis.get(keys.userPointer(userId)), resetTokenDigest(second.token))
    const consumed = await Promise.all([tokens.consume(second.token), tokens.consume(second.token)])
    t.same(consumed.filter((consumer) => consumer !== undefined), [userId], 'consumed once')
  }
  await tokens.rehearseIssue()

  const limiter = new AttemptLimiter(redis, LIMITS)
  for (let i = 0; i < LIMITS.resetPerAccount; i++) await limiter.reserveResetRequest(ACCOUNT, '192.0.2.9')
  await t.rejects(limiter.reserveResetRequest(ACCOUNT, '192.0.2.9'), { code: 'AUTH_1029' }, 'the account budget')
  t.equal(await limiter.guardResetToken('192.0.2.10', async () => undefined), undefined)
  await limiter.clearLoginFailures(ACCOUNT, IP)
  t.same(await Promise.all(loginBucketKeys(ACCOUNT, IP).slice(0, 2).map(async (key) => await redis.exists(key))), [0, 0],
    "a reset clears the account's failed-login counters")
})
