import type { FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import { randomBytes } from 'node:crypto'
import t from 'tap'
import { buildTestApp } from '../helpers/build-app.js'
import { createAndLogIn, createUser, logIn, me } from '../helpers/sessions.js'
import { RedisServer } from '../helpers/redis-server.js'

// One user holding a great many sessions (made before the cap existed, or with
// SESSION_MAX_PER_USER=0) must not make any single Redis call long: a revoke-all, a listing or
// a login trim in batches, so the one user never stalls anyone else's request.
const SESSION_COUNT = 30_000
const WRITE_CHUNK = 2000
const SESSION_TTL_MS = 600_000
// Redis records every command slower than this (µs): a batch takes a fraction of it, one call
// that walked every session several times it. Timed by Redis itself, so a busy test process
// (serialising a 30 000-session list blocks it for a while) cannot blur it.
const SLOW_COMMAND_MICROSECONDS = 25_000

// Sessions written straight into Redis in the documented layout, as an older release left them.
async function writeSessions (redis: Redis, userId: number, account: string, count: number): Promise<void> {
  const loginAt = Date.now() - count
  for (let start = 0; start < count; start += WRITE_CHUNK) {
    const pipeline = redis.pipeline()
    for (let i = start; i < Math.min(count, start + WRITE_CHUNK); i++) {
      const sessionId = randomBytes(16).toString('base64url')
      const key = `ACCESS_TOKEN:{${userId}}:${sessionId}`
      pipeline.hset(key, 'userId', userId, 'userType', 'user', 'account', account, 'loginAt', loginAt + i, 'ip', '127.0.0.1')
      pipeline.pexpire(key, SESSION_TTL_MS)
      pipeline.zadd(`ACCESS_TOKEN_INDEX:{${userId}}`, loginAt + i, sessionId)
    }
    await pipeline.exec()
  }
  await redis.pexpire(`ACCESS_TOKEN_INDEX:{${userId}}`, SESSION_TTL_MS * 2)
}

// Another user's requests, one after the other, until stopped: every status they were answered.
function keepAsking (app: FastifyInstance, token: string): { stop: () => Promise<number[]> } {
  const statuses: number[] = []
  const state = { running: true }
  const loop = (async () => {
    while (state.running) statuses.push((await me(app, token)).statusCode)
  })()
  return {
    stop: async () => {
      state.running = false
      await loop
      return statuses
    }
  }
}

// The time Redis has spent in scripts so far (µs), from its command statistics.
async function scriptMicros (redis: Redis): Promise<number> {
  const stats = await redis.info('commandstats')
  let micros = 0
  for (const match of stats.matchAll(/^cmdstat_(?:evalsha|eval):calls=\d+,usec=(\d+)/gm)) micros += Number(match[1])
  return micros
}

// The slow commands that were also a large part of the work. Redis times commands by the wall
// clock, so on a machine whose cores are busy elsewhere a batch it was preempted in can pass the
// slowlog's threshold; it stays a small part of the 150 batches. One call that walked every
// session would be most of the work.
async function longCalls (redis: Redis, scriptMicrosBefore: number): Promise<string[]> {
  const work = await scriptMicros(redis) - scriptMicrosBefore
  const entries = await redis.slowlog('GET', 100) as Array<[number, number, number, string[]]>
  return entries
    .filter(([, , micros]) => micros >= work / 2)
    .map(([, , micros, args]) => `${args[0] ?? '?'} took ${micros} µs of the ${work} µs all scripts took`)
}

t.test('a user with many sessions', async (t) => {
  const redisServer = await RedisServer.start()
  t.teardown(async () => await redisServer.destroy())
  const admin = new Redis(redisServer.url)
  t.teardown(() => admin.disconnect())
  await admin.config('SET', 'slowlog-log-slower-than', String(SLOW_COMMAND_MICROSECONDS))

  t.test('SESSION_MAX_PER_USER=0: listing and logout-all in batches, nobody else waits', async (t) => {
    // Each case's users start at id 1 in a database of their own.
    await admin.flushall()
    const { app } = await buildTestApp(t, {
      redisServer,
      env: { SESSION_MAX_PER_USER: '0', NEAR_CACHE: 'off' }
    })
    const hoarder = await createUser(app)
    await writeSessions(admin, hoarder.userId, hoarder.account, SESSION_COUNT)
    const own = await logIn(app, hoarder)
    const bystander = await createAndLogIn(app)
    await admin.slowlog('RESET')
    const scriptMicrosBefore = await scriptMicros(admin)

    const asking = keepAsking(app, bystander.token)
    const listed = await app.inject({ method: 'GET', url: '/auth/sessions', headers: { token: own.token } })
    t.equal(listed.statusCode, 200, `listing answers (${listed.statusCode === 200 ? 'ok' : listed.body})`)
    t.equal(listed.json<{ sessions: unknown[] }>().sessions.length, SESSION_COUNT + 1, 'every session is listed')
    const revoked = await app.inject({ method: 'POST', url: '/auth/logout-all', headers: { token: own.token } })
    const statuses = await asking.stop()

    t.equal(revoked.statusCode, 200, `logout-all answers 200, not 503 (${revoked.body})`)
    t.equal(revoked.json<{ revoked: number }>().revoked, SESSION_COUNT + 1, 'every session was revoked')
    t.ok(statuses.length > 0, `the other user asked ${statuses.length} times meanwhile`)
    t.same(statuses.filter((status) => status !== 200), [], 'the other user was always answered 200, never 503')
    t.same(await longCalls(admin, scriptMicrosBefore), [], `no Redis command took ${SLOW_COMMAND_MICROSECONDS} µs or more and half the work`)
    t.equal(await admin.zcard(`ACCESS_TOKEN_INDEX:{${hoarder.userId}}`), 0, 'the index is empty')
  })

  t.test('a cap that is new to an index far over it: the login trims in batches', async (t) => {
    await admin.flushall()
    const { app } = await buildTestApp(t, {
      redisServer,
      env: { SESSION_MAX_PER_USER: '100' }
    })
    const hoarder = await createUser(app)
    await writeSessions(admin, hoarder.userId, hoarder.account, SESSION_COUNT)
    await admin.slowlog('RESET')
    const scriptMicrosBefore = await scriptMicros(admin)
    const login = await logIn(app, hoarder)
    t.equal((await me(app, login.token)).statusCode, 200, 'the new session works')
    t.equal(await admin.zcard(`ACCESS_TOKEN_INDEX:{${hoarder.userId}}`), 100, 'the index is down to the cap')
    t.same(await longCalls(admin, scriptMicrosBefore), [], `no Redis command took ${SLOW_COMMAND_MICROSECONDS} µs or more and half the work`)
    const evictedCount = (await admin.keys(`ACCESS_TOKEN_REVOKED:{${hoarder.userId}}:*`)).length
    t.equal(evictedCount, SESSION_COUNT + 1 - 100, 'every session beyond the cap left an "evicted" tombstone')
  })
})
