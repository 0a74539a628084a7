import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { Redis } from 'ioredis'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { buildTestApp, type BuildOptions } from '../helpers/build-app.js'
import { freePort } from '../helpers/free-port.js'
import { nearCacheNoticedOutage } from '../helpers/near-cache.js'
import { RedisServer } from '../helpers/redis-server.js'
import { TestClock } from '../helpers/test-clock.js'
import { createAndLogIn, me } from '../helpers/sessions.js'
import { appOptions, forEachStrategy, refresh, refreshTokenOf, STRATEGIES_WITH_AND_WITHOUT_NEAR_CACHE, type Strategy } from '../helpers/strategies.js'

const RECOVERY_LIMIT_MS = 15_000
// Far above the ~0.5 s the server needs, even with the test process starved of CPU; it only
// catches a request that hangs on a dead Redis.
const HANG_LIMIT_MS = 10_000
// A refresh answered 503 must not have retired its refresh token: the client's retry comes after
// this grace, when a retired token would count as reused and end the session.
const REUSE_GRACE_SECONDS = 1

// The server's clock is a TestClock: the reuse grace is crossed by moving it, not by waiting.
function outageOptions (strategy: Strategy, redisServer: RedisServer, clock: TestClock, env: Record<string, string> = {}): BuildOptions {
  return { ...appOptions(strategy, { REFRESH_REUSE_GRACE: String(REUSE_GRACE_SECONDS), ...env }), redisServer, clock: clock.now }
}

// The retry of a refresh that met an outage, made once the reuse grace of that attempt is over
// (by the server's clock, which stood still since the attempt).
async function retryRefreshAfterGrace (app: FastifyInstance, clock: TestClock, refreshToken: string): Promise<LightMyRequestResponse> {
  clock.advance(REUSE_GRACE_SECONDS * 1000 + 1)
  return await refresh(app, refreshToken)
}

async function timed (request: () => Promise<LightMyRequestResponse>): Promise<{ res: LightMyRequestResponse, ms: number }> {
  const started = Date.now()
  const res = await request()
  return { res, ms: Date.now() - started }
}

async function waitForStatus (app: FastifyInstance, token: string, status: number, seen: number[]): Promise<LightMyRequestResponse> {
  const deadline = Date.now() + RECOVERY_LIMIT_MS
  for (;;) {
    const res = await me(app, token)
    seen.push(res.statusCode === 401 ? 1002 : res.statusCode)
    if (res.statusCode === status || Date.now() > deadline) return res
    await sleep(100)
  }
}

t.test('Redis killed mid-run: 503 "1503" at once, never a logout, and recovery without a restart', async (t) => {
  forEachStrategy(t, async (t, strategy) => {
    const redisServer = await RedisServer.start({ persistent: true })
    t.teardown(async () => await redisServer.destroy())
    const clock = new TestClock()
    const { app } = await buildTestApp(t, outageOptions(strategy, redisServer, clock))
    const session = await createAndLogIn(app)
    t.equal((await me(app, session.token)).statusCode, 200)
    let refreshToken = strategy.refresh ? refreshTokenOf(session.response) : undefined

    // Three outages in a row: a fault path that works once may not work twice.
    for (let outage = 1; outage <= 3; outage++) {
      await redisServer.stop()
      await nearCacheNoticedOutage(app)
      for (let i = 0; i < 5; i++) {
        const { res, ms } = await timed(async () => await me(app, session.token))
        t.equal(res.statusCode, 503, `outage ${outage}: authenticated request answers 503`)
        t.equal(res.json().errorCode, '1503')
        t.ok(ms < HANG_LIMIT_MS, `outage ${outage}: answered in ${ms} ms, not hung`)
      }
      const login = await app.inject({ method: 'POST', url: '/auth/login', payload: { account: session.account, password: session.password } })
      t.equal(login.statusCode, 503, 'login answers 503')
      t.equal(login.json().errorCode, '1503')
      const logout = await app.inject({ method: 'POST', url: '/auth/logout', headers: { token: session.token } })
      t.equal(logout.statusCode, 503, 'logout cannot pretend to succeed')
      t.equal((await app.inject({ method: 'GET', url: '/ready' })).statusCode, 503, '/ready reports the outage')
      t.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200, '/health stays 200 while the process lives')
      if (refreshToken !== undefined) {
        const refreshed = await refresh(app, refreshToken)
        t.equal(refreshed.statusCode, 503, `outage ${outage}: a refresh answers 503`)
        t.equal(refreshed.json().errorCode, '1503')
      }

      await redisServer.restart()
      const seen: number[] = []
      const res = await waitForStatus(app, session.token, 200, seen)
      t.equal(res.statusCode, 200, `outage ${outage}: the same token works again once Redis is back`)
      t.notOk(seen.includes(1002), 'no answer during recovery looked like a logout')
      t.equal((await app.inject({ method: 'GET', url: '/ready' })).statusCode, 200, '/ready recovers')
      if (refreshToken !== undefined) {
        const retried = await retryRefreshAfterGrace(app, clock, refreshToken)
        t.equal(retried.statusCode, 200, `outage ${outage}: the refresh token that met the outage still refreshes: ${retried.body}`)
        if (retried.statusCode !== 200) break
        refreshToken = refreshTokenOf(retried)
        t.equal((await me(app, session.token)).statusCode, 200, 'the session lives on')
      }
    }
  }, STRATEGIES_WITH_AND_WITHOUT_NEAR_CACHE)
})

t.test('Redis hanging (SIGSTOP): the command timeout turns it into a quick 503', async (t) => {
  forEachStrategy(t, async (t, strategy) => {
    const redisServer = await RedisServer.start()
    t.teardown(async () => await redisServer.destroy())
    const clock = new TestClock()
    const { app } = await buildTestApp(t, outageOptions(strategy, redisServer, clock, { REDIS_COMMAND_TIMEOUT: '300' }))
    const session = await createAndLogIn(app)
    const refreshToken = strategy.refresh ? refreshTokenOf(session.response) : undefined
    redisServer.pause()
    try {
      for (let i = 0; i < 3; i++) {
        const { res, ms } = await timed(async () => await me(app, session.token))
        t.equal(res.statusCode, 503)
        t.equal(res.json().errorCode, '1503')
        t.ok(ms < HANG_LIMIT_MS, `answered in ${ms} ms`)
      }
      if (refreshToken !== undefined) {
        const refreshed = await refresh(app, refreshToken)
        t.equal(refreshed.statusCode, 503, 'a refresh answers 503')
        t.equal(refreshed.json().errorCode, '1503')
      }
    } finally {
      redisServer.resume()
    }
    const seen: number[] = []
    const res = await waitForStatus(app, session.token, 200, seen)
    t.equal(res.statusCode, 200, 'the session survived the stall')
    t.notOk(seen.includes(1002), 'never a logout')
    if (refreshToken !== undefined) {
      const retried = await retryRefreshAfterGrace(app, clock, refreshToken)
      t.equal(retried.statusCode, 200, `the refresh token that met the stall still refreshes: ${retried.body}`)
      t.equal((await me(app, session.token)).statusCode, 200, 'the session lives on')
    }
  }, STRATEGIES_WITH_AND_WITHOUT_NEAR_CACHE)
})

t.test('Redis turned read-only (a failover in progress): 503, not 500, and back to 200 after', async (t) => {
  forEachStrategy(t, async (t, strategy) => {
    const redisServer = await RedisServer.start()
    t.teardown(async () => await redisServer.destroy())
    const clock = new TestClock()
    const { app } = await buildTestApp(t, outageOptions(strategy, redisServer, clock))
    const session = await createAndLogIn(app)
    const refreshToken = strategy.refresh ? refreshTokenOf(session.response) : undefined
    const admin = new Redis(redisServer.url)
    t.teardown(() => admin.disconnect())
    // A replica of a master that does not answer: it keeps its data and refuses every write.
    await admin.replicaof('127.0.0.1', String(await freePort()))
    try {
      const res = await me(app, session.token)
      t.equal(res.statusCode, 503, res.body)
      t.equal(res.json().errorCode, '1503')
      if (refreshToken !== undefined) {
        const refreshed = await refresh(app, refreshToken)
        t.equal(refreshed.statusCode, 503, `a refresh answers 503: ${refreshed.body}`)
        t.equal(refreshed.json().errorCode, '1503')
      }
    } finally {
      await admin.replicaof('NO', 'ONE')
    }
    t.equal((await me(app, session.token)).statusCode, 200, 'the session survived')
    if (refreshToken !== undefined) {
      const retried = await retryRefreshAfterGrace(app, clock, refreshToken)
      t.equal(retried.statusCode, 200, `the refresh token that met the failover still refreshes: ${retried.body}`)
      t.equal((await me(app, session.token)).statusCode, 200, 'the session lives on')
    }
  }, STRATEGIES_WITH_AND_WITHOUT_NEAR_CACHE)
})
