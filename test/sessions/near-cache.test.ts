import type { FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import { buildTestApp } from '../helpers/build-app.js'
import { RedisServer } from '../helpers/redis-server.js'
import { createAndLogIn, createUser, me, type LoggedIn } from '../helpers/sessions.js'
import { logInForRefresh, refresh, refreshTokenOf, SLIDING } from '../helpers/strategies.js'
import { TestClock } from '../helpers/test-clock.js'
import { storedLastSeenAt } from '../helpers/stored-session.js'

// How long a condition the near-cache reaches by itself (reconnect, heartbeat) may take before the
// test gives up: a liveness bound, far above what it needs, not a performance assertion.
const CONDITION_LIMIT_MS = 10_000
const POLL_MS = 20
const RACE_ROUNDS = 100
// PostgreSQL when it answers: a fresh PGlite per app takes seconds.
const databaseUrl = SLIDING.databaseUrl

interface Instances {
  redisServer: RedisServer
  redis: Redis
  a: FastifyInstance
  b: FastifyInstance
}

// Two instances of the server on one Redis, as behind a load balancer.
async function twoInstances (t: Test, env: Record<string, string> = {}): Promise<Instances> {
  const redisServer = await RedisServer.start()
  t.teardown(async () => await redisServer.destroy())
  const redis = new Redis(redisServer.url)
  t.teardown(() => redis.disconnect())
  const { app: a } = await buildTestApp(t, { redisServer, env, databaseUrl })
  const { app: b } = await buildTestApp(t, { redisServer, env, databaseUrl })
  return { redisServer, redis, a, b }
}

async function waitFor (condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + CONDITION_LIMIT_MS
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(POLL_MS)
  }
}

// Calls of the session scripts (EVALSHA, or EVAL after a script cache miss) Redis has served.
async function scriptCalls (redis: Redis): Promise<number> {
  const stats = await redis.info('commandstats')
  let calls = 0
  for (const match of stats.matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+)/gm)) calls += Number(match[1])
  return calls
}

function nearCacheOf (app: FastifyInstance): NonNullable<FastifyInstance['nearCache']> {
  if (app.nearCache === null) throw new Error('NEAR_CACHE is off')
  return app.nearCache
}

// A login's own write reaches the cache as an invalidation, which may overtake the first fill
// after it; once that has arrived, the next request's fill stays.
async function warm (t: Test, app: FastifyInstance, session: { token: string }): Promise<void> {
  t.equal((await me(app, session.token)).statusCode, 200)
  await nearCacheOf(app).sync()
  t.equal((await me(app, session.token)).statusCode, 200)
}

async function expectEnded (t: Test, app: FastifyInstance, session: LoggedIn, reason: string, message: string): Promise<void> {
  const res = await me(app, session.token)
  t.equal(res.statusCode, 401, message)
  t.same({ errorCode: res.json().errorCode, reason: res.json().reason }, { errorCode: '1002', reason }, `${message}: 1002 ${reason}`)
}

t.test('a cached session is checked without a Redis call; NEAR_CACHE=off calls Redis every time', async (t) => {
  for (const mode of ['on', 'off']) {
    // A server of its own: the command counts and the client list are the whole server's. No
    // idle-expiry events, whose subscriber would be a second pubsub client.
    const redisServer = await RedisServer.start()
    t.teardown(async () => await redisServer.destroy())
    const { app } = await buildTestApp(t, { redisServer, env: { NEAR_CACHE: mode, EVENTS_EXPIRED: 'off' }, databaseUrl })
    const redis = new Redis(app.config.REDIS_URL)
    t.teardown(() => redis.disconnect())
    const session = await createAndLogIn(app)
    if (mode === 'on') await warm(t, app, session)
    else t.equal((await me(app, session.token)).statusCode, 200)
    const before = await scriptCalls(redis)
    for (let i = 0; i < 20; i++) t.equal((await me(app, session.token)).statusCode, 200)
    const calls = await scriptCalls(redis) - before
    t.equal(calls, mode === 'on' ? 0 : 20, `NEAR_CACHE=${mode}: ${calls} session script calls for 20 requests`)
    t.equal(app.nearCache === null, mode === 'off', `NEAR_CACHE=${mode}: the cache exists only when on`)
    const trackers = String(await redis.call('CLIENT', 'LIST', 'TYPE', 'pubsub'))
    t.equal(trackers.includes('flags=P'), mode === 'on', `NEAR_CACHE=${mode}: a tracking connection only when on`)
  }
})

t.test('a new session misses the near-cache once: its first check\'s own write does not cost the second a miss', async (t) => {
  const { app } = await buildTestApp(t, { databaseUrl })
  const redis = new Redis(app.config.REDIS_URL)
  t.teardown(() => redis.disconnect())
  const cache = nearCacheOf(app)
  for (let round = 0; round < 5; round++) {
    const session = await createAndLogIn(app)
    const key = `ACCESS_TOKEN:{${session.userId}}:${session.sessionId}`
    const missesBefore = cache.counts.misses
    t.equal((await me(app, session.token)).statusCode, 200, 'the first check')
    t.equal(cache.counts.misses - missesBefore, 1, 'misses: the session was never read')
    t.not(await storedLastSeenAt(redis, key), null, 'and wrote "last seen", which reaches this instance as an invalidation')
    // Once that invalidation has arrived, the entry it dropped comes back by itself, in the
    // background: without the re-read it would stay gone and the second check would miss too.
    await cache.sync()
    await waitFor(() => cache.size === round + 1, 'the entry read again after the write')
    const scriptsBefore = await scriptCalls(redis)
    const hitsBefore = cache.counts.hits
    t.equal((await me(app, session.token)).statusCode, 200, 'the second check')
    t.equal(cache.counts.misses - missesBefore, 1, 'is no miss')
    t.equal(cache.counts.hits - hitsBefore, 1, 'but a hit')
    t.equal(await scriptCalls(redis) - scriptsBefore, 0, 'and sends Redis nothing')
  }
  // Checked again at once, before the re-read is back: it waits for that read, not a read of its own.
  for (let round = 0; round < 5; round++) {
    const session = await createAndLogIn(app)
    const missesBefore = cache.counts.misses
    for (let check = 0; check < 3; check++) t.equal((await me(app, session.token)).statusCode, 200)
    t.equal(cache.counts.misses - missesBefore, 1, 'three checks in a row, one miss')
  }
})

t.test('a revocation on instance A is refused by instance B once the invalidation arrived', async (t) => {
  const { a, b } = await twoInstances(t)
  t.ok(nearCacheOf(b).enabled, 'B tracks invalidations')
  const latenciesMs: number[] = []
  for (let round = 0; round < 20; round++) {
    const session = await createAndLogIn(a)
    await warm(t, b, session)
    const logout = await a.inject({ method: 'POST', url: '/auth/logout', headers: { token: session.token } })
    t.equal(logout.statusCode, 200)
    const answeredAt = performance.now()
    // Measured, not asserted: how long B keeps answering 200 after A's answer.
    while ((await me(b, session.token)).statusCode === 200) await sleep(0)
    latenciesMs.push(performance.now() - answeredAt)
    await nearCacheOf(b).sync()
    await expectEnded(t, b, session, 'logout', 'B refuses the token')
    await expectEnded(t, a, session, 'logout', 'A refuses it')
  }
  latenciesMs.sort((x, y) => x - y)
  t.comment(`B refused within ${latenciesMs[Math.floor(latenciesMs.length / 2)]?.toFixed(2)} ms (median), ${latenciesMs.at(-1)?.toFixed(2)} ms (max) of A's answer`)
})

t.test('logout-all reaches every instance, and the serving one at once', async (t) => {
  const { a, b } = await twoInstances(t)
  const first = await createAndLogIn(a)
  const second = await a.inject({ method: 'POST', url: '/auth/login', payload: { account: first.account, password: first.password } })
  const secondToken: string = second.json().token
  for (const app of [a, b]) {
    await warm(t, app, first)
    t.equal((await me(app, secondToken)).statusCode, 200)
  }
  const res = await a.inject({ method: 'POST', url: '/auth/logout-all', headers: { token: first.token } })
  t.equal(res.json().revoked, 2)
  // No sync on A: its answer waited for the invalidations.
  await expectEnded(t, a, first, 'logout_all', 'A refuses the first session right after its answer')
  t.equal((await me(a, secondToken)).statusCode, 401, 'and the second')
  await nearCacheOf(b).sync()
  await expectEnded(t, b, first, 'logout_all', 'B refuses the first session')
  t.equal((await me(b, secondToken)).statusCode, 401, 'and the second')
})

t.test('requests racing a logout on another instance never leave a stale session in the cache', async (t) => {
  const { a, b } = await twoInstances(t)
  for (let round = 0; round < RACE_ROUNDS; round++) {
    const session = await createAndLogIn(a)
    // Misses on B fill its cache while A's logout deletes the session: an invalidation can arrive
    // before a fill's answer, and that fill must then not be stored.
    const racing = Array.from({ length: 4 }, async () => await me(b, session.token))
    const logout = a.inject({ method: 'POST', url: '/auth/logout', headers: { token: session.token } })
    await Promise.all([...racing, logout])
    await nearCacheOf(b).sync()
    const res = await me(b, session.token)
    if (res.statusCode !== 401) {
      t.fail(`round ${round}: B still served the session after the invalidation (${res.statusCode})`)
      return
    }
  }
  t.pass(`${RACE_ROUNDS} rounds: B refused every logged-out session`)
})

t.test('deleted, expired and flushed sessions are refused although they were cached', async (t) => {
  const { redis, a, b } = await twoInstances(t, { SESSION_SLIDING: 'false', SESSION_TTL: '2' })
  const deleted = await createAndLogIn(a)
  const expiring = await createAndLogIn(a)
  const flushed = await createAndLogIn(a)
  for (const session of [deleted, expiring, flushed]) await warm(t, b, session)

  // As another tool would: a plain DEL, no script, no tombstone.
  await redis.del(`ACCESS_TOKEN:{${deleted.userId}}:${deleted.sessionId}`)
  await nearCacheOf(b).sync()
  await expectEnded(t, b, deleted, 'expired', 'a session deleted behind the server\'s back')

  // The cache never serves past the TTL it read, whenever Redis gets round to reporting the expiry.
  await sleep(2100)
  await expectEnded(t, b, expiring, 'expired', 'an expired session')

  t.equal((await me(b, flushed.token)).statusCode, 401, 'expired by now as well')
  const fresh = await createAndLogIn(a)
  await warm(t, b, fresh)
  await redis.flushall()
  await nearCacheOf(b).sync()
  await expectEnded(t, b, fresh, 'expired', 'a session gone with FLUSHALL')
})

t.test('losing the invalidation connection empties the cache until tracking is back', async (t) => {
  const { redis, a, b } = await twoInstances(t)
  for (let round = 0; round < 3; round++) {
    const session = await createAndLogIn(a)
    await warm(t, b, session)
    t.ok(nearCacheOf(b).size > 0, 'B caches the session')
    await redis.call('CLIENT', 'KILL', 'TYPE', 'pubsub')
    await waitFor(() => !nearCacheOf(b).enabled, 'B to notice the lost connection')
    t.equal(nearCacheOf(b).size, 0, 'B emptied its cache')
    // Deleted while nobody could tell B: B must not trust what it had.
    await redis.del(`ACCESS_TOKEN:{${session.userId}}:${session.sessionId}`)
    await expectEnded(t, b, session, 'expired', 'refused while tracking is down')
    await waitFor(() => nearCacheOf(b).enabled, 'B to track again')
    await expectEnded(t, b, session, 'expired', 'refused once tracking is back')
    const next = await createAndLogIn(a)
    t.equal((await me(b, next.token)).statusCode, 200, 'new sessions are served (and cached) again')
  }
})

t.test('a stalled Redis switches the cache off within the heartbeat, never a logout', async (t) => {
  const redisServer = await RedisServer.start()
  t.teardown(async () => await redisServer.destroy())
  const { app } = await buildTestApp(t, { redisServer, env: { REDIS_COMMAND_TIMEOUT: '300' }, databaseUrl })
  const session = await createAndLogIn(app)
  await warm(t, app, session)
  redisServer.pause()
  try {
    await waitFor(() => !nearCacheOf(app).enabled, 'the heartbeat to give up on the stalled connection')
    const res = await me(app, session.token)
    t.equal(res.statusCode, 503, 'with the cache off, the stall is a 503')
    t.equal(res.json().errorCode, '1503')
  } finally {
    redisServer.resume()
  }
  await waitFor(() => nearCacheOf(app).enabled, 'tracking to resume')
  t.equal((await me(app, session.token)).statusCode, 200, 'the session lives on')
})

t.test('NEAR_CACHE_MAX_ENTRIES bounds the cache; evicted sessions are read from Redis again', async (t) => {
  const { app } = await buildTestApp(t, { env: { NEAR_CACHE_MAX_ENTRIES: '2' }, databaseUrl })
  const sessions = [await createAndLogIn(app), await createAndLogIn(app), await createAndLogIn(app)]
  for (let i = 0; i < 3; i++) {
    for (const session of sessions) t.equal((await me(app, session.token)).statusCode, 200)
  }
  t.equal(nearCacheOf(app).size, 2, 'never more than 2 entries')
})

t.test('the TTL slide is throttled and happens off the response path', async (t) => {
  // A slide every 2 s (SESSION_TTL / 10). The cache decides by the server's clock when a touch is
  // due, the script by the key's TTL in Redis: the test moves the one and waits for the other,
  // so no slow request can fall due early.
  const clock = new TestClock()
  const { app } = await buildTestApp(t, { env: { SESSION_TTL: '20' }, databaseUrl, clock: clock.now })
  const redis = new Redis(app.config.REDIS_URL)
  t.teardown(() => redis.disconnect())
  const session = await createAndLogIn(app)
  const key = `ACCESS_TOKEN:{${session.userId}}:${session.sessionId}`
  await warm(t, app, session)
  const beforeRequests = await redis.pttl(key)
  for (let i = 0; i < 5; i++) t.equal((await me(app, session.token)).statusCode, 200)
  t.ok(await redis.pttl(key) <= beforeRequests, 'requests within the interval do not extend the session')
  // Redis' TTL must have run down for the script to slide it: this is a real wait.
  await sleep(2100)
  clock.advance(2100)
  const dueAt = await redis.pttl(key)
  t.ok(dueAt < 18_000, `the session lost a slide interval (${dueAt} ms left)`)
  const before = await scriptCalls(redis)
  t.equal((await me(app, session.token)).statusCode, 200, 'answered from the cache')
  await waitFor(async () => await redis.pttl(key) > dueAt, 'the background slide')
  t.ok(await redis.pttl(key) > 19_000, 'slid back to the full TTL')
  // The slide's write drops the entry on this instance too; it is read again once that
  // invalidation has arrived, so the next request is still a hit.
  await nearCacheOf(app).sync()
  await waitFor(() => nearCacheOf(app).size === 1, 'the entry read again after the slide')
  t.equal(await scriptCalls(redis) - before, 2, 'by one touch in the background, and one read that writes nothing')
  const hits = nearCacheOf(app).counts.hits
  t.equal((await me(app, session.token)).statusCode, 200)
  t.equal(nearCacheOf(app).counts.hits - hits, 1, 'the next request is a hit')
  t.equal(await scriptCalls(redis) - before, 2, 'and sends Redis nothing')
})

t.test('a reused refresh token ends the session on the serving instance before the 1004 is answered', async (t) => {
  const { app } = await buildTestApp(t, { env: { AUTH_STRATEGY: 'refresh', REFRESH_REUSE_GRACE: '0' }, databaseUrl })
  const user = await createUser(app)
  for (let round = 0; round < 20; round++) {
    const login = await logInForRefresh(app, user)
    const rotated = await refresh(app, login.refreshToken)
    t.equal(rotated.statusCode, 200)
    const current = { token: rotated.json().token as string }
    refreshTokenOf(rotated)
    await warm(t, app, current)
    // The last retired token (the script ends the session itself) ...
    t.equal((await refresh(app, login.refreshToken)).json().errorCode, '1004', 'reuse is refused')
    const res = await me(app, current.token)
    t.same([res.statusCode, res.json().reason], [401, 'refresh_reused'], 'and the current access token at once')
  }
})

t.test('an active session lives to its absolute deadline, cache on or off', async (t) => {
  // Redis' own expiry against the slides that keep the key alive: this runs in real time, both
  // modes side by side.
  await Promise.all(['on', 'off'].map(async (mode) => {
    // Slides every 0.4 s; the deadline comes 6 s after the login's second.
    const { app } = await buildTestApp(t, { env: { NEAR_CACHE: mode, SESSION_TTL: '4', SESSION_MAX_LIFETIME: '6' }, databaseUrl })
    const session = await createAndLogIn(app)
    const deadlineMs = (JSON.parse(Buffer.from(session.token.split('.')[1] ?? '', 'base64url').toString()).auth_time + 6) * 1000
    let res = await me(app, session.token)
    while (res.statusCode === 200) {
      await sleep(150)
      res = await me(app, session.token)
    }
    t.equal(res.json().reason, 'max_lifetime', `NEAR_CACHE=${mode}: ended by the lifetime, not cut short as idle (${deadlineMs - Date.now()} ms before the deadline)`)
    t.ok(Date.now() >= deadlineMs - 1000, `NEAR_CACHE=${mode}: not before the deadline's last second`)
  }))
})

t.test('a lowered SESSION_TTL applies to sessions created under the old one', async (t) => {
  const redisServer = await RedisServer.start()
  t.teardown(async () => await redisServer.destroy())
  const redis = new Redis(redisServer.url)
  t.teardown(() => redis.disconnect())
  const { app: before } = await buildTestApp(t, { redisServer, env: { SESSION_TTL: '3600' }, databaseUrl })
  const session = await createAndLogIn(before)
  const { app: after } = await buildTestApp(t, { redisServer, env: { SESSION_TTL: '60' }, databaseUrl })
  t.equal((await me(after, session.token)).statusCode, 200)
  t.ok(await redis.pttl(`ACCESS_TOKEN:{${session.userId}}:${session.sessionId}`) <= 60_000, 'brought down to the new TTL')
})
