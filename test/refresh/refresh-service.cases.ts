import t from 'tap'
import { RefreshService } from '../../src/refresh/refresh-service.js'
import type { RefreshRules, RefreshTokenStore, RotateOutcome, TokenRef } from '../../src/refresh/refresh-token-store.js'
import { parseRefreshToken } from '../../src/refresh/refresh-token.js'
import type { SessionRecord } from '../../src/sessions/session-store.js'
import { TestClock } from '../helpers/test-clock.js'

// The refresh service's part of the time arithmetic on a TestClock: the moment and the rules in
// milliseconds that it hands the store, and the claims it makes of the store's answer. The
// stores' own decisions (grace, minimum interval, expiry, lifetime) run against real Redis and
// PostgreSQL in routes/auth/refresh.cases.ts and refresh-token-store.cases.ts.

const LOGIN_MS = Date.UTC(2030, 0, 1, 12, 0, 0, 400)
const SESSION: SessionRecord = { sessionId: 'AAAAAAAAAAAAAAAAAAAAAA', userId: 7, userType: 'user', account: 'ada@example.com', loginAt: LOGIN_MS, ip: '127.0.0.1' }

class RecordingStore implements RefreshTokenStore {
  readonly issued: Array<{ digest: string, expiresAt: number }> = []
  readonly rotations: Array<{ presented: TokenRef, nowMs: number, rules: RefreshRules }> = []
  answer: RotateOutcome = { status: 'unknown' }

  async issue (_session: SessionRecord, token: { digest: string, expiresAt: number }): Promise<boolean> {
    this.issued.push(token)
    return true
  }

  async rotate (presented: TokenRef, _successorDigest: string, nowMs: number, rules: RefreshRules): Promise<RotateOutcome> {
    this.rotations.push({ presented, nowMs, rules })
    return this.answer
  }

  async sessionEnded (): Promise<void> {}
  async userSessionsEnded (): Promise<void> {}
}

t.test('issue, then refresh at the clock\'s moment with the rules in milliseconds', async (t) => {
  const store = new RecordingStore()
  const clock = new TestClock(LOGIN_MS)
  const service = new RefreshService(store, Buffer.alloc(32, 1), {
    refreshTtlSeconds: 600, sliding: true, reuseGraceSeconds: 10, minIntervalSeconds: 2, maxLifetimeSeconds: 3600
  }, clock.now)

  const issued = await service.issue(SESSION)
  if (issued === undefined) throw new Error('not issued')
  t.equal(issued.expiresAt, LOGIN_MS + 600_000, 'the first token expires REFRESH_TOKEN_TTL after the login')
  t.equal(store.issued[0]?.expiresAt, issued.expiresAt)

  const presented = parseRefreshToken(issued.refreshToken)
  if (presented === undefined) throw new Error('unparsable refresh token')
  clock.advance(61_500)
  const rotatedAt = LOGIN_MS + 61_500
  store.answer = { status: 'rotated', userId: SESSION.userId, userType: 'user', loginAt: LOGIN_MS, rotatedAt, expiresAt: rotatedAt + 600_000 }
  const attempt = await service.refresh(presented)
  t.same(store.rotations[0]?.nowMs, rotatedAt, 'the store decides at the clock\'s moment')
  t.same(store.rotations[0]?.rules, { refreshTtlMs: 600_000, sliding: true, reuseGraceMs: 10_000, minIntervalMs: 2000, maxLifetimeMs: 3_600_000 })
  t.match(attempt, {
    status: 'refreshed',
    claims: { userId: 7, userType: 'user', sid: SESSION.sessionId, iat: Math.floor(rotatedAt / 1000), auth_time: Math.floor(LOGIN_MS / 1000) },
    refresh: { expiresAt: rotatedAt + 600_000 }
  }, 'iat is the rotation\'s second, auth_time the login\'s')

  store.answer = { status: 'reused' }
  t.same(await service.refresh(presented), { status: 'invalid' }, 'a reuse is an invalid token to the client')
})
