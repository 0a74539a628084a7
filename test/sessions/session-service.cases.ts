import t from 'tap'
import { NO_DEVICE_RULES } from '../../src/sessions/device-rules.js'
import { SessionService, type SessionPolicy } from '../../src/sessions/session-service.js'
import type { CreateResult, EndedSession, SessionRecord, SessionStore, TouchRequest, TouchResult } from '../../src/sessions/session-store.js'
import type { UserBan } from '../../src/sessions/user-ban.js'
import type { UserId } from '../../src/users/user-id.js'
import { TestClock } from '../helpers/test-clock.js'

// The session engine's own time arithmetic (TTL, absolute deadline, reissue settings) on a
// TestClock, with a store that records what it is asked: no Redis, no waiting. What the touch
// script then does with those numbers is tested against real Redis (session-lifecycle,
// token-reissue, fixed-lifetime).

const MS_PER_SECOND = 1000
// A moment in the middle of a second, so that whole-second claims and milliseconds differ.
const LOGIN_MS = Date.UTC(2030, 0, 1, 12, 0, 0, 400)

const POLICY: SessionPolicy = {
  ttlSeconds: 60,
  slideOnRequest: true,
  slideEveryMs: 6000,
  maxLifetimeSeconds: 0,
  ttlStopsAtDeadline: true,
  reissueAfterSeconds: 0,
  reissueGraceSeconds: 30,
  refreshCanRestore: false,
  maxSessionsPerUser: 0,
  deviceRules: NO_DEVICE_RULES,
  notRememberedTtlSeconds: 30
}

const START = { userId: 7, userType: 'user' as const, account: 'ada@example.com', ip: '127.0.0.1' }

// Remembers the TTL of every create and every touch request; answers "alive". What these tests
// do not reach throws.
class RecordingStore implements SessionStore {
  readonly created: Array<{ record: SessionRecord, ttlMs: number }> = []
  readonly touches: TouchRequest[] = []
  readonly bans: Array<{ ban: UserBan, ttlMs: number | undefined }> = []
  records: SessionRecord[] = []

  async generation (): Promise<string> {
    return '0'
  }

  async create (record: SessionRecord, ttlMs: number): Promise<CreateResult> {
    this.created.push({ record, ttlMs })
    return { created: true, evicted: [], replaced: [] }
  }

  async touch (_userId: UserId, _sessionId: string, request: TouchRequest): Promise<TouchResult> {
    this.touches.push(request)
    return { status: 'alive', account: START.account, userType: START.userType, expiresInMs: request.ttlMs, authAt: LOGIN_MS, amr: ['pwd'] }
  }

  async list (): Promise<SessionRecord[]> {
    return this.records
  }

  async resume (): Promise<never> {
    throw new Error('not used here')
  }

  async find (): Promise<never> {
    throw new Error('not used here')
  }

  async revoke (): Promise<never> {
    throw new Error('not used here')
  }

  async revokeAll (): Promise<EndedSession[]> {
    return []
  }

  async ban (_userId: UserId, ban: UserBan, ttlMs: number | undefined): Promise<void> {
    this.bans.push({ ban, ttlMs })
  }

  async unban (): Promise<never> {
    throw new Error('not used here')
  }

  async findBan (): Promise<never> {
    throw new Error('not used here')
  }

  async findBans (): Promise<never> {
    throw new Error('not used here')
  }

  async markAuthenticated (): Promise<never> {
    throw new Error('not used here')
  }

  async ping (): Promise<void> {}
}

function serviceWith (policy: Partial<SessionPolicy>): { service: SessionService, store: RecordingStore, clock: TestClock } {
  const store = new RecordingStore()
  const clock = new TestClock(LOGIN_MS)
  const service = new SessionService(store, { ...POLICY, ...policy }, undefined, clock.now)
  return { service, store, clock }
}

t.test('a login: claims in whole seconds of the clock, the record in its milliseconds', async (t) => {
  const { service, store } = serviceWith({ reissueAfterSeconds: 5 })
  const claims = await service.start(START, '0')
  const loginSecond = Math.floor(LOGIN_MS / MS_PER_SECOND)
  t.match(claims, { userId: 7, userType: 'user', iat: loginSecond, auth_time: loginSecond })
  t.equal(store.created[0]?.record.loginAt, LOGIN_MS, 'loginAt is the clock\'s millisecond')
  t.equal(store.created[0]?.record.tokenIat, loginSecond, 'with reissue on, the record names its current token')
  t.equal(store.created[0]?.ttlMs, 60_000, 'the session TTL')

  const { service: noReissue, store: noReissueStore } = serviceWith({})
  await noReissue.start(START, '0')
  t.equal(noReissueStore.created[0]?.record.tokenIat, undefined, 'without reissue, no token bookkeeping')
})

t.test('a login near the absolute deadline: the TTL stops at it, unless the strategy keeps the record longer', async (t) => {
  // The deadline counts from the login's second: 400 ms of it have passed at LOGIN_MS.
  const { service, store } = serviceWith({ maxLifetimeSeconds: 30 })
  await service.start(START, '0')
  t.equal(store.created[0]?.ttlMs, 30_000 - 400, 'capped at auth_time + SESSION_MAX_LIFETIME')

  const { service: refresh, store: refreshStore } = serviceWith({ maxLifetimeSeconds: 30, ttlStopsAtDeadline: false })
  await refresh.start(START, '0')
  t.equal(refreshStore.created[0]?.ttlMs, 60_000, 'the refresh strategy keeps its full TTL')
})

t.test('a request: the slide, capped at the deadline, and refused from the deadline on without a store call', async (t) => {
  const { service, store, clock } = serviceWith({ maxLifetimeSeconds: 90 })
  const claims = await service.start(START, '0')
  if (claims === undefined) throw new Error('no session')
  const deadlineMs = (claims.auth_time + 90) * MS_PER_SECOND

  await service.authenticate(claims)
  t.match(store.touches[0], { ttlMs: 60_000, ttlIsDeadline: false, nowMs: LOGIN_MS, slideEveryMs: 6000 }, 'far from the deadline: the full TTL')

  clock.advanceTo(deadlineMs - 20_000)
  await service.authenticate(claims)
  t.match(store.touches[1], { ttlMs: 20_000, ttlIsDeadline: true, nowMs: deadlineMs - 20_000 }, 'near it: the time left')

  clock.advanceTo(deadlineMs - 1)
  await service.authenticate(claims)
  t.match(store.touches[2], { ttlMs: 1, ttlIsDeadline: true }, 'its last millisecond')

  clock.advance(1)
  const refused = await service.authenticate(claims).then(() => undefined, (error: unknown) => error)
  t.match(refused, { reason: 'max_lifetime' }, 'at the deadline: 1002 max_lifetime')
  t.equal(store.touches.length, 3, 'refused from the token alone')
})

t.test('a request under a fixed lifetime asks for no slide; reissue settings go to the store in its units', async (t) => {
  const { service, store, clock } = serviceWith({ slideOnRequest: false, reissueAfterSeconds: 5, reissueGraceSeconds: 2 })
  const claims = await service.start(START, '0')
  if (claims === undefined) throw new Error('no session')
  clock.advance(7000)
  await service.authenticate(claims)
  t.match(store.touches[0], {
    ttlMs: 0, nowMs: LOGIN_MS + 7000, tokenIat: claims.iat, reissueAfterSeconds: 5, reissueGraceMs: 2000
  })
})

t.test('the session list leaves out sessions past the absolute lifetime, by the clock', async (t) => {
  const { service, store, clock } = serviceWith({ maxLifetimeSeconds: 10 })
  const record = (sessionId: string, loginAt: number): SessionRecord => ({ ...START, sessionId, loginAt })
  // Counted from the login second, as auth_time counts it.
  store.records = [record('late', LOGIN_MS + 5000), record('early', LOGIN_MS)]
  const ids = async (): Promise<string[]> => (await service.list(7)).map((session) => session.sessionId)
  t.same(await ids(), ['late', 'early'])
  clock.advanceTo(Math.floor(LOGIN_MS / MS_PER_SECOND) * MS_PER_SECOND + 10_000 - 1)
  t.same(await ids(), ['late', 'early'], 'a millisecond before the early one\'s deadline')
  clock.advance(1)
  t.same(await ids(), ['late'], 'at it')
})

t.test('a session\'s own lifetimes: its device rule\'s, else SESSION_TTL_NOT_REMEMBERED for rememberMe: false, else the policy\'s; stored only where they differ', async (t) => {
  const deviceRules = new Map([
    ['phone', { onOverflow: 'end_oldest' as const, idleTtlSeconds: 120, maxLifetimeSeconds: 600 }],
    ['tv', { onOverflow: 'end_oldest' as const, maxLifetimeSeconds: 0 }],
    ['kiosk', { onOverflow: 'end_oldest' as const, idleTtlSeconds: 60 }],
    ['watch', { onOverflow: 'refuse_new' as const, maxSessions: 1 }]
  ])
  const policy = { ttlSeconds: 60, maxLifetimeSeconds: 1000, notRememberedTtlSeconds: 30, deviceRules }
  const cases: Array<[start: { deviceType?: string, rememberMe?: boolean }, stored: Partial<SessionRecord>, ttlMs: number, why: string]> = [
    [{}, {}, 60_000, 'no type, remembered: the policy\'s, nothing stored'],
    [{ rememberMe: true }, {}, 60_000, 'rememberMe: true is the default'],
    [{ rememberMe: false }, { idleTtlSeconds: 30, notRemembered: true }, 30_000, 'rememberMe: false: SESSION_TTL_NOT_REMEMBERED'],
    [{ deviceType: 'phone' }, { deviceType: 'phone', idleTtlSeconds: 120, maxLifetimeSeconds: 600 }, 120_000, 'a type\'s idleTtl and maxLifetime'],
    [{ deviceType: 'phone', rememberMe: false }, { deviceType: 'phone', idleTtlSeconds: 120, maxLifetimeSeconds: 600, notRemembered: true }, 120_000,
      'a type\'s idleTtl wins over SESSION_TTL_NOT_REMEMBERED'],
    [{ deviceType: 'tv' }, { deviceType: 'tv', maxLifetimeSeconds: 0 }, 60_000, 'maxLifetime 0 (none) differs from the policy\'s, so it is stored'],
    [{ deviceType: 'kiosk' }, { deviceType: 'kiosk' }, 60_000, 'an idleTtl equal to the policy\'s is not stored'],
    [{ deviceType: 'watch', rememberMe: false }, { deviceType: 'watch', idleTtlSeconds: 30, notRemembered: true }, 30_000,
      'a type with a cap only: SESSION_TTL_NOT_REMEMBERED still applies'],
    [{ deviceType: 'car' }, { deviceType: 'car' }, 60_000, 'a type no rule names: stored, with the policy\'s lifetimes']
  ]
  const ownFields = ({ deviceType, idleTtlSeconds, maxLifetimeSeconds, notRemembered }: SessionRecord): Partial<SessionRecord> =>
    Object.fromEntries(Object.entries({ deviceType, idleTtlSeconds, maxLifetimeSeconds, notRemembered }).filter(([, value]) => value !== undefined))
  for (const [start, stored, ttlMs, why] of cases) {
    const { service, store } = serviceWith(policy)
    await service.start({ ...START, ...start }, '0')
    const created = store.created[0]
    t.same(created === undefined ? undefined : ownFields(created.record), stored, `${why}: stored`)
    t.equal(created?.ttlMs, ttlMs, `${why}: the TTL it is created with`)
  }

  // The refresh strategy: the idle timeout is the refresh token's; only the lifetime is the session's own.
  for (const [start, stored, why] of [
    [{ rememberMe: false }, { notRemembered: true }, 'rememberMe: false'],
    [{ deviceType: 'phone' }, { deviceType: 'phone', maxLifetimeSeconds: 600 }, 'a type with an idleTtl']
  ] as const) {
    const { service, store } = serviceWith({ ...policy, ttlStopsAtDeadline: false })
    await service.start({ ...START, ...start }, '0')
    const created = store.created[0]
    t.same(created === undefined ? undefined : ownFields(created.record), stored, `refresh strategy, ${why}: no idle TTL of its own`)
    t.equal(created?.ttlMs, 60_000, `refresh strategy, ${why}: created with the policy's TTL`)
  }
})

t.test("a ban's TTL is the time left to its end, by the clock; a ban without one has none", async (t) => {
  const { service, store, clock } = serviceWith({})
  clock.advance(2500)
  await service.ban(7, { reason: 'spam', untilMs: LOGIN_MS + 60_000 }, undefined, 'cli')
  await service.ban(7, { reason: 'fraud' })
  t.same(store.bans, [
    { ban: { reason: 'spam', untilMs: LOGIN_MS + 60_000, bannedAtMs: LOGIN_MS + 2500, actor: 'cli' }, ttlMs: 57_500 },
    { ban: { reason: 'fraud', untilMs: undefined, bannedAtMs: LOGIN_MS + 2500, actor: undefined }, ttlMs: undefined }
  ])
})
