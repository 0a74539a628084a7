import { randomBytes, randomInt, randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { isDeepStrictEqual } from 'node:util'
import { Redis } from 'ioredis'
import t, { type Test } from 'tap'
import { refreshPolicyOf, sessionPolicyOf } from '../../src/config/session-policies.js'
import { migrate } from '../../src/db/migrate.js'
import { openPglite } from '../../src/db/pglite-database.js'
import { openPostgres } from '../../src/db/postgres-database.js'
import type { SqlDatabase } from '../../src/db/sql-database.js'
import { PostgresRefreshTokenStore } from '../../src/refresh/postgres-refresh-token-store.js'
import { RedisRefreshTokenStore } from '../../src/refresh/redis-refresh-token-store.js'
import { RefreshService, refreshRulesOf, type RefreshAttempt } from '../../src/refresh/refresh-service.js'
import type { RefreshRules, RefreshTokenStore, RotateOutcome } from '../../src/refresh/refresh-token-store.js'
import { digestOf, newRefreshToken, parseRefreshToken, type PresentedRefreshToken } from '../../src/refresh/refresh-token.js'
import { RedisSessionStore } from '../../src/sessions/redis-session-store.js'
import { SessionService } from '../../src/sessions/session-service.js'
import type { SessionClaims, UserType } from '../../src/tokens/session-claims.js'
import { userIdKey, type UserId } from '../../src/users/user-id.js'
import { createTestDatabase, POSTGRES_URL, reachablePostgresUrl } from '../helpers/database.js'
import { RedisServer } from '../helpers/redis-server.js'
import { strategySettings, type StrategySettings } from '../helpers/strategy-settings.js'

// One conformance suite for every RefreshTokenStore: the Redis one, and the PostgreSQL one on
// a real PostgreSQL and on PGlite. Each store is driven the way the server drives it: sessions
// started by SessionService, refresh tokens issued and rotated by RefreshService. Times past
// the present (grace windows, expiries, the absolute lifetime) come from the nowMs arguments,
// not from sleeping.

const MS_PER_SECOND = 1000
const SUCCESSOR_KEY_BYTES = 32
const CONCURRENT_REFRESHES = 5
const CONCURRENCY_ROUNDS = 20
const REDIS_RECOVERY_LIMIT_MS = 10_000
const MAX_USER_ID = 2 ** 31 - 1

// Like the server with AUTH_STRATEGY=refresh; each case overrides what it is about.
// Which store runs is the harness's choice; REFRESH_STORE only shapes the session policy.
const BASE_SETTINGS = strategySettings({ AUTH_STRATEGY: 'refresh', SESSION_MAX_PER_USER: 100 })

interface LoggedIn {
  userId: UserId
  claims: SessionClaims
  // ms, as the server records it: the login's `iat` in whole seconds
  loginAt: number
  refreshToken: string
  expiresAt: number
}

interface Harness {
  sessions: SessionService
  refresh: RefreshService
  store: RefreshTokenStore
  // The rules `refresh` applies, for calling the store's rotate directly.
  rules: RefreshRules
  logIn: (userId: UserId, options?: { deviceId?: string, userType?: UserType }) => Promise<LoggedIn>
  // The Redis under this store: the outage case kills and restarts it.
  redisServer: RedisServer
  redisAnswers: () => Promise<void>
}

type MakeHarness = (settings?: Partial<StrategySettings>) => Promise<Harness>
type RefreshStoreFactory = (sessionStore: RedisSessionStore, redis: Redis, keyPrefix: string, successorKey: Buffer) => RefreshTokenStore

type Refreshed = Extract<RefreshAttempt, { status: 'refreshed' }>

type NewUserId = () => UserId

function newIntegerUserId (): number {
  return randomInt(1, MAX_USER_ID)
}

let stringIdsMade = 0

// Users of another user store: UUIDs, and strings of digits (which share their keys with the
// integer of the same digits, and must still come back as strings).
function newStringUserId (): string {
  stringIdsMade++
  return stringIdsMade % 2 === 0 ? randomUUID() : String(newIntegerUserId())
}

function presented (token: string): PresentedRefreshToken {
  const parsed = parseRefreshToken(token)
  if (parsed === undefined) throw new Error(`not a refresh token: ${token}`)
  return parsed
}

function expectRefreshed (attempt: RefreshAttempt): Refreshed {
  if (attempt.status !== 'refreshed') throw new Error(`expected a refresh, got ${JSON.stringify(attempt)}`)
  return attempt
}

// One Redis (persistent, so that a restart keeps its data) per store run; each harness gets
// a key prefix of its own and the session policy its case asks for.
async function harnessesOn (t: Test, makeStore: RefreshStoreFactory): Promise<MakeHarness> {
  const redisServer = await RedisServer.start({ persistent: true })
  t.teardown(async () => await redisServer.destroy())
  // As the server's client: no offline queue, so a dead Redis fails a call at once.
  const redis = new Redis(redisServer.url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    autoResendUnfulfilledCommands: false,
    commandTimeout: 2000,
    retryStrategy: (attempt: number) => Math.min(attempt * 100, 1000)
  })
  redis.on('error', () => undefined)
  await redis.connect()
  t.teardown(() => redis.disconnect())

  return async (overrides = {}) => {
    const settings = { ...BASE_SETTINGS, ...overrides }
    const keyPrefix = `conformance-${randomBytes(4).toString('hex')}:`
    const sessionStore = new RedisSessionStore(redis, { keyPrefix, fallbackTombstoneTtlMs: settings.SESSION_TTL * MS_PER_SECOND })
    const successorKey = randomBytes(SUCCESSOR_KEY_BYTES)
    const store = makeStore(sessionStore, redis, keyPrefix, successorKey)
    const sessions = new SessionService(sessionStore, sessionPolicyOf(settings), store)
    const refresh = new RefreshService(store, successorKey, refreshPolicyOf(settings))
    return {
      sessions,
      refresh,
      store,
      rules: refreshRulesOf(refreshPolicyOf(settings)),
      redisServer,
      // As plugins/session-issuer.ts: the session first, then its first refresh token.
      async logIn (userId, options = {}) {
        const start = {
          userId,
          userType: options.userType ?? 'user',
          account: `user-${userId}@example.com`,
          deviceId: options.deviceId,
          userAgent: 'conformance-test',
          ip: '127.0.0.1'
        }
        const claims = await sessions.start(start, await sessions.generation(userId))
        if (claims === undefined) throw new Error('the session did not start')
        const loginAt = claims.iat * MS_PER_SECOND
        const issued = await refresh.issue({ ...start, sessionId: claims.sid, loginAt })
        if (issued === undefined) throw new Error('no refresh token was issued')
        return { userId, claims, loginAt, refreshToken: issued.refreshToken, expiresAt: issued.expiresAt }
      },
      async redisAnswers () {
        const deadline = Date.now() + REDIS_RECOVERY_LIMIT_MS
        for (;;) {
          try {
            await sessions.ping()
            return
          } catch (error) {
            if (Date.now() > deadline) throw error
            await sleep(50)
          }
        }
      }
    }
  }
}

async function conformance (t: Test, makeHarness: MakeHarness, newUserId: NewUserId = newIntegerUserId): Promise<void> {
  t.test('issue, then refresh: a new refresh token of the same family, claims of the same session', async (t) => {
    const h = await makeHarness()
    const login = await h.logIn(newUserId(), { userType: 'admin' })
    t.equal(login.expiresAt, login.loginAt + h.rules.refreshTtlMs, 'the first token lives REFRESH_TOKEN_TTL from the login')

    const nowMs = Date.now()
    const first = expectRefreshed(await h.refresh.refresh(presented(login.refreshToken), nowMs))
    t.not(first.refresh.refreshToken, login.refreshToken, 'a new refresh token')
    const successor = presented(first.refresh.refreshToken)
    t.equal(successor.family, login.claims.sid, 'of the same family')
    t.equal(userIdKey(successor.userId), userIdKey(login.userId), 'of the same user')
    t.same(first.claims, {
      userId: login.userId,
      userType: 'admin',
      sid: login.claims.sid,
      iat: Math.floor(nowMs / MS_PER_SECOND),
      auth_time: login.claims.auth_time
    }, 'claims of the same session, issued now, login time unchanged')
    t.strictSame(first.claims.userId, login.userId, 'the user id as the session was started, of its type')
    t.equal(first.refresh.expiresAt, nowMs + h.rules.refreshTtlMs, 'the successor lives REFRESH_TOKEN_TTL from the rotation')
    const authenticated = await h.sessions.authenticate(first.claims)
    t.equal(authenticated.user.sessionId, login.claims.sid, 'the new access claims authenticate')

    const second = expectRefreshed(await h.refresh.refresh(successor, nowMs + 1000))
    t.not(second.refresh.refreshToken, first.refresh.refreshToken, 'the successor rotates in turn')
    t.equal(presented(second.refresh.refreshToken).family, login.claims.sid)
  })

  t.test('a replay within the grace window gets the identical successor', async (t) => {
    const h = await makeHarness({ REFRESH_REUSE_GRACE: 10 })
    const login = await h.logIn(newUserId())
    const rotatedAt = Date.now()
    const first = expectRefreshed(await h.refresh.refresh(presented(login.refreshToken), rotatedAt))
    t.same(await h.refresh.refresh(presented(login.refreshToken), rotatedAt + 1), first, 'replayed 1 ms later: same claims, same refresh token')
    t.same(await h.refresh.refresh(presented(login.refreshToken), rotatedAt + 10_000), first, 'replayed at the end of the grace window: the same')
    const next = expectRefreshed(await h.refresh.refresh(presented(first.refresh.refreshToken), rotatedAt + 10_000))
    t.not(next.refresh.refreshToken, first.refresh.refreshToken, 'the successor still rotates normally')
  })

  t.test(`${CONCURRENT_REFRESHES} concurrent refreshes with one token all get the same successor (${CONCURRENCY_ROUNDS} rounds)`, async (t) => {
    const h = await makeHarness()
    const login = await h.logIn(newUserId())
    let token = login.refreshToken
    let claims = login.claims
    for (let round = 1; round <= CONCURRENCY_ROUNDS; round++) {
      const attempts = await Promise.all(Array.from({ length: CONCURRENT_REFRESHES }, async () => await h.refresh.refresh(presented(token))))
      const first = expectRefreshed(attempts[0] ?? { status: 'invalid' })
      const identical = attempts.filter((attempt) => isDeepStrictEqual(attempt, first)).length
      t.equal(identical, CONCURRENT_REFRESHES, `round ${round}: every racer got the same claims and refresh token`)
      t.not(first.refresh.refreshToken, token, `round ${round}: a new refresh token`)
      token = first.refresh.refreshToken
      claims = first.claims
    }
    t.equal((await h.sessions.authenticate(claims)).user.sessionId, login.claims.sid, 'the session lives on after all the races')
  })

  t.test('concurrent rotations of one token: exactly one rotates, the others replay that rotation', async (t) => {
    const h = await makeHarness()
    for (let round = 1; round <= CONCURRENCY_ROUNDS; round++) {
      const login = await h.logIn(newUserId())
      const token = presented(login.refreshToken)
      const successorDigest = digestOf(`successor of ${login.refreshToken}`)
      const nowMs = Date.now()
      const outcomes = await Promise.all(Array.from({ length: CONCURRENT_REFRESHES }, async (_, i) =>
        await h.store.rotate(token, successorDigest, nowMs + i, h.rules)))
      const rotated = outcomes.filter((outcome) => outcome.status === 'rotated')
      const replayed = outcomes.filter((outcome) => outcome.status === 'replayed')
      t.equal(rotated.length, 1, `round ${round}: one rotation`)
      t.equal(replayed.length, CONCURRENT_REFRESHES - 1, `round ${round}: the rest replay it`)
      const times = (outcome: RotateOutcome): unknown => 'rotatedAt' in outcome ? [outcome.rotatedAt, outcome.expiresAt] : outcome
      t.ok(outcomes.every((outcome) => isDeepStrictEqual(times(outcome), times(rotated[0] ?? outcomes[0] ?? { status: 'unknown' }))),
        `round ${round}: every replay reports the rotation's own times`)
    }
  })

  t.test('a retired token presented after the grace window ends the family: refresh_reused', async (t) => {
    const h = await makeHarness({ REFRESH_REUSE_GRACE: 10 })
    const login = await h.logIn(newUserId())
    const rotatedAt = Date.now()
    const next = expectRefreshed(await h.refresh.refresh(presented(login.refreshToken), rotatedAt))

    t.same(await h.refresh.refresh(presented(login.refreshToken), rotatedAt + 10_001), { status: 'invalid' }, 'the reuse is refused as invalid')
    await t.rejects(h.sessions.authenticate(next.claims), { code: 'AUTH_1002', reason: 'refresh_reused' },
      'the family\'s current access claims: session ended refresh_reused')
    await t.rejects(h.sessions.authenticate(login.claims), { code: 'AUTH_1002', reason: 'refresh_reused' },
      'the login\'s access claims too')
    t.same(await h.refresh.refresh(presented(next.refresh.refreshToken), rotatedAt + 10_002), { status: 'ended', reason: 'refresh_reused' },
      'the current refresh token: ended refresh_reused')
    t.same(await h.refresh.refresh(presented(login.refreshToken), rotatedAt + 10_003), { status: 'ended', reason: 'refresh_reused' },
      'the retired token again: ended refresh_reused')

    const other = await h.logIn(newUserId())
    const otherRotatedAt = Date.now()
    const otherNext = expectRefreshed(await h.refresh.refresh(presented(other.refreshToken), otherRotatedAt))
    t.same(await h.store.rotate(presented(other.refreshToken), digestOf(otherNext.refresh.refreshToken), otherRotatedAt + 10_001, h.rules),
      { status: 'reused' }, 'the store reports the reuse as such')
  })

  t.test('a token retired two rotations ago, presented after the grace window, also ends the family', async (t) => {
    const h = await makeHarness({ REFRESH_REUSE_GRACE: 10 })
    const login = await h.logIn(newUserId())
    const startedAt = Date.now()
    const second = expectRefreshed(await h.refresh.refresh(presented(login.refreshToken), startedAt))
    const third = expectRefreshed(await h.refresh.refresh(presented(second.refresh.refreshToken), startedAt + 1000))

    t.same(await h.refresh.refresh(presented(login.refreshToken), startedAt + 20_000), { status: 'invalid' }, 'the oldest token is refused')
    t.same(await h.refresh.refresh(presented(third.refresh.refreshToken), startedAt + 20_001), { status: 'ended', reason: 'refresh_reused' },
      'a retired token is a retired token: the family is ended refresh_reused')
    await t.rejects(h.sessions.authenticate(third.claims), { code: 'AUTH_1002', reason: 'refresh_reused' }, 'and so is its session')
  })

  t.test('a token retired two rotations ago, within the grace window, is refused and revokes nothing', async (t) => {
    const h = await makeHarness({ REFRESH_REUSE_GRACE: 10 })
    const login = await h.logIn(newUserId())
    const startedAt = Date.now()
    const second = expectRefreshed(await h.refresh.refresh(presented(login.refreshToken), startedAt))
    const third = expectRefreshed(await h.refresh.refresh(presented(second.refresh.refreshToken), startedAt + 1000))

    t.same(await h.refresh.refresh(presented(login.refreshToken), startedAt + 2000), { status: 'invalid' },
      'a client that lost two races in a row is refused, not handed a retired token')
    t.equal((await h.sessions.authenticate(third.claims, startedAt + 2001)).user.sessionId, login.claims.sid, 'the session lives on')
    expectRefreshed(await h.refresh.refresh(presented(third.refresh.refreshToken), startedAt + 2002))
    t.pass('and its current token still refreshes')
  })

  t.test('an unknown digest is invalid, and changes nothing', async (t) => {
    const h = await makeHarness()
    const login = await h.logIn(newUserId())
    t.same(await h.refresh.refresh(presented(newRefreshToken(login.userId, login.claims.sid))), { status: 'invalid' },
      'a made-up secret for a real family')
    t.same(await h.refresh.refresh(presented(newRefreshToken(newUserId(), login.claims.sid))), { status: 'invalid' },
      'a real family under another user id')
    t.same(await h.refresh.refresh(presented(newRefreshToken(login.userId, randomBytes(16).toString('base64url')))), { status: 'invalid' },
      'a family that does not exist')
    expectRefreshed(await h.refresh.refresh(presented(login.refreshToken)))
    t.pass('the real token still refreshes: nothing was revoked')
  })

  t.test('a token of family A carrying the digest of family B is invalid', async (t) => {
    const h = await makeHarness()
    const userId = newUserId()
    const a = await h.logIn(userId)
    const b = await h.logIn(userId)
    const tokenB = presented(b.refreshToken)
    t.same(await h.refresh.refresh({ ...tokenB, family: a.claims.sid }), { status: 'invalid' }, 'through the refresh service')
    t.same(await h.store.rotate({ ...tokenB, userId, family: a.claims.sid }, digestOf('successor'), Date.now(), h.rules),
      { status: 'unknown' }, 'the store calls it unknown')
    const stranger = await h.logIn(newUserId())
    t.same(await h.store.rotate({ ...tokenB, userId: stranger.userId, family: stranger.claims.sid }, digestOf('successor'), Date.now(), h.rules),
      { status: 'unknown' }, 'another user\'s family with this digest: unknown')
    expectRefreshed(await h.refresh.refresh(presented(a.refreshToken)))
    expectRefreshed(await h.refresh.refresh(presented(b.refreshToken)))
    expectRefreshed(await h.refresh.refresh(presented(stranger.refreshToken)))
    t.pass('all three families still refresh: nothing was rotated or revoked')
  })

  t.test('an expired refresh token is invalid', async (t) => {
    const h = await makeHarness({ REFRESH_TOKEN_TTL: 3600 })
    const login = await h.logIn(newUserId())
    const token = presented(login.refreshToken)
    t.same(await h.refresh.refresh(token, login.expiresAt), { status: 'invalid' }, 'at its expiry')
    t.same(await h.refresh.refresh(token, login.expiresAt + 60_000), { status: 'invalid' }, 'a minute after')
    expectRefreshed(await h.refresh.refresh(token, login.expiresAt - 1))
    t.pass('a millisecond before its expiry it still refreshes')
  })

  t.test('refreshing sooner than REFRESH_MIN_INTERVAL is too_soon, and revokes nothing', async (t) => {
    const h = await makeHarness({ REFRESH_MIN_INTERVAL: 60 })
    const login = await h.logIn(newUserId())
    const nowMs = Date.now()
    const soon = await h.refresh.refresh(presented(login.refreshToken), nowMs)
    t.same(soon, { status: 'too_soon', retryAfterMs: login.loginAt + 60_000 - nowMs }, 'too soon after the login')
    t.ok(soon.status === 'too_soon' && soon.retryAfterMs > 0 && soon.retryAfterMs <= 60_000, 'retryAfterMs is in (0, interval]')
    t.equal((await h.sessions.authenticate(login.claims)).user.sessionId, login.claims.sid, 'the session is untouched')

    const rotatedAt = login.loginAt + 60_000
    const next = expectRefreshed(await h.refresh.refresh(presented(login.refreshToken), rotatedAt))
    t.same(await h.refresh.refresh(presented(next.refresh.refreshToken), rotatedAt + 1), { status: 'too_soon', retryAfterMs: 59_999 },
      'the interval counts again from the rotation')
    t.same(await h.refresh.refresh(presented(login.refreshToken), rotatedAt + 2), next,
      'a replay within the grace window is not refused as too soon')
    expectRefreshed(await h.refresh.refresh(presented(next.refresh.refreshToken), rotatedAt + 60_000))
    t.pass('the successor refreshes once the interval has passed')
  })

  t.test('past the absolute lifetime a refresh is ended max_lifetime', async (t) => {
    const h = await makeHarness({ SESSION_MAX_LIFETIME: 3600, REFRESH_TOKEN_TTL: 7200 })
    const login = await h.logIn(newUserId())
    // The deadline the access tokens carry: auth_time (the login, in seconds) + SESSION_MAX_LIFETIME.
    const deadline = (login.claims.auth_time + 3600) * MS_PER_SECOND
    const before = expectRefreshed(await h.refresh.refresh(presented(login.refreshToken), deadline - 1000))
    t.ok(before.refresh.expiresAt > deadline, 'the refresh token itself outlives the deadline')
    await t.rejects(h.sessions.authenticate(before.claims, deadline), { code: 'AUTH_1002', reason: 'max_lifetime' },
      'at the deadline the access claims are refused max_lifetime')
    t.same(await h.refresh.refresh(presented(before.refresh.refreshToken), deadline), { status: 'ended', reason: 'max_lifetime' }, 'at the deadline')
    t.same(await h.refresh.refresh(presented(before.refresh.refreshToken), deadline + 60_000), { status: 'ended', reason: 'max_lifetime' }, 'after it')
  })

  t.test('logout ends the family: its current and its retired refresh token are ended logout', async (t) => {
    const h = await makeHarness()
    const login = await h.logIn(newUserId())
    const next = expectRefreshed(await h.refresh.refresh(presented(login.refreshToken)))
    t.equal(await h.sessions.end(login.userId, login.claims.sid, 'logout'), true, 'the session ended')
    t.same(await h.refresh.refresh(presented(next.refresh.refreshToken)), { status: 'ended', reason: 'logout' }, 'the current token')
    t.same(await h.refresh.refresh(presented(login.refreshToken)), { status: 'ended', reason: 'logout' }, 'the retired token, within its grace window')
  })

  t.test('endAll ends every family of the user, and no other user\'s', async (t) => {
    const h = await makeHarness()
    const userId = newUserId()
    const phone = await h.logIn(userId, { deviceId: 'phone' })
    const plain = await h.logIn(userId)
    const rotated = expectRefreshed(await h.refresh.refresh(presented(plain.refreshToken)))
    const otherUser = await h.logIn(newUserId())
    t.equal(await h.sessions.endAll(userId, 'password_changed'), 2, 'both sessions ended')
    t.same(await h.refresh.refresh(presented(phone.refreshToken)), { status: 'ended', reason: 'password_changed' }, 'the phone\'s family')
    t.same(await h.refresh.refresh(presented(rotated.refresh.refreshToken)), { status: 'ended', reason: 'password_changed' },
      'the other family, after a rotation')
    expectRefreshed(await h.refresh.refresh(presented(otherUser.refreshToken)))
    t.pass('another user\'s family still refreshes')
  })

  t.test('endAll with a device filter ends only that device\'s families', async (t) => {
    const h = await makeHarness()
    const userId = newUserId()
    const phones = [await h.logIn(userId, { deviceId: 'phone' }), await h.logIn(userId, { deviceId: 'phone' })]
    const laptop = await h.logIn(userId, { deviceId: 'laptop' })
    const noDevice = await h.logIn(userId)
    t.equal(await h.sessions.endAll(userId, 'revoked', { deviceId: 'phone' }), 2, 'the two phone sessions ended')
    for (const phone of phones) {
      t.same(await h.refresh.refresh(presented(phone.refreshToken)), { status: 'ended', reason: 'revoked' }, 'a phone family')
    }
    expectRefreshed(await h.refresh.refresh(presented(laptop.refreshToken)))
    expectRefreshed(await h.refresh.refresh(presented(noDevice.refreshToken)))
    t.pass('the laptop family and the family without a device still refresh')
  })

  t.test('SESSION_SLIDING=false keeps the login\'s expiry across rotations; true extends it', async (t) => {
    const fixed = await makeHarness({ SESSION_SLIDING: false, REFRESH_TOKEN_TTL: 3600 })
    const login = await fixed.logIn(newUserId())
    const startedAt = Date.now()
    const first = expectRefreshed(await fixed.refresh.refresh(presented(login.refreshToken), startedAt + 60_000))
    t.equal(first.refresh.expiresAt, login.expiresAt, 'fixed: the first rotation keeps the expiry')
    const second = expectRefreshed(await fixed.refresh.refresh(presented(first.refresh.refreshToken), startedAt + 120_000))
    t.equal(second.refresh.expiresAt, login.expiresAt, 'fixed: so does the second')
    t.same(await fixed.refresh.refresh(presented(second.refresh.refreshToken), login.expiresAt), { status: 'invalid' },
      'fixed: the family cannot be refreshed past the login\'s expiry')

    const sliding = await makeHarness({ SESSION_SLIDING: true, REFRESH_TOKEN_TTL: 3600 })
    const slidingLogin = await sliding.logIn(newUserId())
    const slid = expectRefreshed(await sliding.refresh.refresh(presented(slidingLogin.refreshToken), startedAt + 60_000))
    t.equal(slid.refresh.expiresAt, startedAt + 60_000 + 3_600_000, 'sliding: the expiry moves to the rotation + TTL')
    const slidAgain = expectRefreshed(await sliding.refresh.refresh(presented(slid.refresh.refreshToken), startedAt + 120_000))
    t.equal(slidAgain.refresh.expiresAt, startedAt + 120_000 + 3_600_000, 'sliding: and again')
    expectRefreshed(await sliding.refresh.refresh(presented(slidAgain.refresh.refreshToken), slidingLogin.expiresAt + 1000))
    t.pass('sliding: the family refreshes past the login\'s expiry')
  })

  t.test('issue for a session that has already ended gives no refresh token', async (t) => {
    const h = await makeHarness()
    const userId = newUserId()
    const start = { userId, userType: 'user' as const, account: `user-${userId}@example.com`, ip: '127.0.0.1' }
    const claims = await h.sessions.start(start, await h.sessions.generation(userId))
    if (claims === undefined) throw new Error('the session did not start')
    await h.sessions.end(userId, claims.sid, 'logout')
    const issued = await h.refresh.issue({ ...start, sessionId: claims.sid, loginAt: claims.iat * MS_PER_SECOND })
    t.equal(issued, undefined, 'no token for an ended session (RefreshTokenStore.issue: false when that session has already ended)')
    if (issued !== undefined) {
      t.same(await h.refresh.refresh(presented(issued.refreshToken)), { status: 'ended', reason: 'logout' }, 'and the token it gave cannot refresh')
    }
  })

  t.test('"123" and 123: one user; each family refreshes to claims of the id it was started with', async (t) => {
    const h = await makeHarness()
    const number = newIntegerUserId()
    const asString = await h.logIn(String(number), { deviceId: 'string' })
    const asNumber = await h.logIn(number, { deviceId: 'number' })
    const rotatedAt = Date.now()
    const stringRefreshed = expectRefreshed(await h.refresh.refresh(presented(asString.refreshToken), rotatedAt))
    const numberRefreshed = expectRefreshed(await h.refresh.refresh(presented(asNumber.refreshToken), rotatedAt))
    t.strictSame(stringRefreshed.claims.userId, String(number), 'the string\'s family: a string')
    t.strictSame(numberRefreshed.claims.userId, number, 'the number\'s family: a number')
    t.same(await h.refresh.refresh(presented(asString.refreshToken), rotatedAt + 1), stringRefreshed, 'a replay keeps the string too')
    t.equal(await h.sessions.endAll(number, 'password_changed'), 2, 'endAll(123) ends both sessions')
    t.same(await h.refresh.refresh(presented(stringRefreshed.refresh.refreshToken)), { status: 'ended', reason: 'password_changed' },
      'and the string\'s family')
    t.same(await h.refresh.refresh(presented(numberRefreshed.refresh.refreshToken)), { status: 'ended', reason: 'password_changed' },
      'and the number\'s')
  })

  // Kills this run's Redis: keep it last.
  t.test('a refresh that failed because Redis was down (503) leaves its token usable, even after the grace window', async (t) => {
    const h = await makeHarness({ REFRESH_REUSE_GRACE: 10 })
    const login = await h.logIn(newUserId())
    await h.redisServer.stop()
    const failedAt = Date.now()
    try {
      await t.rejects(h.refresh.refresh(presented(login.refreshToken), failedAt), { code: 'AUTH_1503' }, 'Redis down: 503, not a verdict')
    } finally {
      await h.redisServer.restart()
      await h.redisAnswers()
    }
    // The client never saw a successor, so its retry is no theft, however late it comes.
    const retried = await h.refresh.refresh(presented(login.refreshToken), failedAt + 20_000)
    t.equal(retried.status, 'refreshed', `the retry after the outage refreshes (${JSON.stringify(retried)})`)
    if (retried.status === 'refreshed') {
      t.equal((await h.sessions.authenticate(retried.claims)).user.sessionId, login.claims.sid, 'the session lives on')
    }
  })
}

t.test('RedisRefreshTokenStore', async (t) => {
  const harnesses = await harnessesOn(t, (sessions, redis, keyPrefix, successorKey) => new RedisRefreshTokenStore(redis, sessions, successorKey, keyPrefix))
  await conformance(t, harnesses)
  t.test('with string user ids', async (t) => { await conformance(t, harnesses, newStringUserId) })
})

async function postgresHarnesses (t: Test, db: SqlDatabase): Promise<MakeHarness> {
  await migrate(db)
  return await harnessesOn(t, (sessionStore) => new PostgresRefreshTokenStore(db, sessionStore))
}

const postgresUrl = await reachablePostgresUrl()

t.test('PostgresRefreshTokenStore on PostgreSQL', {
  skip: postgresUrl === undefined ? `no PostgreSQL answers at ${POSTGRES_URL}` : false
}, async (t) => {
  const database = await createTestDatabase(postgresUrl)
  if (database.url === undefined) throw new Error('no schema was created')
  const db = openPostgres(database.url, () => undefined)
  t.teardown(async () => {
    await db.close()
    await database.drop()
  })
  const harnesses = await postgresHarnesses(t, db)
  await conformance(t, harnesses)
  // The SQL is PGlite's too: the string run is left out there, the slowest of the three.
  t.test('with string user ids', async (t) => { await conformance(t, harnesses, newStringUserId) })
})

t.test('PostgresRefreshTokenStore on PGlite', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'refresh-pglite-'))
  const db = await openPglite(dataDir)
  t.teardown(async () => {
    await db.close()
    rmSync(dataDir, { recursive: true, force: true })
  })
  await conformance(t, await postgresHarnesses(t, db))
})
