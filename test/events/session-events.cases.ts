import type { FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import { createHash, randomInt, randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { buildTestApp } from '../helpers/build-app.js'
import { LogCollector } from '../helpers/log-collector.js'
import { RedisServer } from '../helpers/redis-server.js'
import { streamedEvents, waitForStreamedEvents, type StreamedEvent } from '../helpers/session-events.js'
import { createUser, expireKeyNow, logIn, me, startSession, type LoggedIn } from '../helpers/sessions.js'
import { refresh } from '../helpers/strategies.js'
import { TestClock } from '../helpers/test-clock.js'

// The session events as the Redis Stream holds them, while scripted sessions go through their
// lives: every event once, in order, with who, which session, which device and whence.

const STREAM = { EVENTS_STREAM: 'auth-events' }
const NEW_PASSWORD = 'a brand new passphrase'
const CLIENT_IP = '127.0.0.1'
const ROTATE_AFTER_SECONDS = 60
const MAX_LIFETIME_SECONDS = 3600
const REUSE_GRACE_SECONDS = 10
const MS_PER_SECOND = 1000
// Long enough for a duplicate from another instance to arrive, were there one.
const DUPLICATE_WAIT_MS = 300
// A liveness bound for a reconnection after a Redis restart, not a performance assertion.
const RECONNECT_LIMIT_MS = 15_000
const POLL_MS = 20

type Summary = [type: string, reason: string | null, sessionId: string | null]

function summaryOf (events: readonly StreamedEvent[]): Summary[] {
  return events.map((event) => [event.type, event.reason, event.sessionId])
}

t.test('sliding with reissue: login, activity, reissue, password change, idle expiry, absolute lifetime', async (t) => {
  const clock = new TestClock()
  const { app } = await buildTestApp(t, {
    clock: clock.now,
    env: { ...STREAM, SESSION_ROTATE_AFTER: String(ROTATE_AFTER_SECONDS), SESSION_MAX_LIFETIME: String(MAX_LIFETIME_SECONDS) }
  })
  const user = await createUser(app)
  const first = await logIn(app, user, 'phone-1')
  t.equal((await me(app, first.token)).statusCode, 200, 'activity')
  clock.advance((ROTATE_AFTER_SECONDS + 1) * MS_PER_SECOND)
  const reissued = (await me(app, first.token)).headers['x-renewed-token']
  t.type(reissued, 'string', 'the token was reissued')

  const changed = await app.inject({
    method: 'POST', url: '/auth/password', headers: { token: String(reissued) }, payload: { oldPassword: user.password, newPassword: NEW_PASSWORD }
  })
  t.equal(changed.statusCode, 200)
  const second = changed.json<{ sessionId: string }>().sessionId
  await expireKeyNow(app, `ACCESS_TOKEN:{${user.userId}}:${second}`)
  await waitForStreamedEvents(app, 6)

  const third = await logIn(app, { ...user, password: NEW_PASSWORD })
  clock.advance(MAX_LIFETIME_SECONDS * MS_PER_SECOND)
  await expireKeyNow(app, `ACCESS_TOKEN:{${user.userId}}:${third.sessionId}`)
  const events = await waitForStreamedEvents(app, 9)

  t.same(summaryOf(events), [
    ['session.created', null, first.sessionId],
    ['login.succeeded', null, first.sessionId],
    ['session.ended', 'password_changed', first.sessionId],
    ['password.changed', null, first.sessionId],
    ['session.created', null, second],
    ['session.ended', 'expired', second],
    ['session.created', null, third.sessionId],
    ['login.succeeded', null, third.sessionId],
    ['session.ended', 'max_lifetime', third.sessionId]
  ], 'activity and a reissue are no events; idle expiry and the absolute lifetime are told apart')
  await sleep(DUPLICATE_WAIT_MS)
  t.equal((await streamedEvents(app)).length, 9, 'nothing more')

  for (const event of events) {
    t.same(Object.keys(event).sort(), ['account', 'actor', 'amr', 'at', 'authMethod', 'count', 'deviceId', 'deviceType', 'id', 'ip', 'reason', 'sessionId', 'type', 'userId'], `${event.type}: every field`)
    t.equal(event.userId, user.userId)
    t.equal(event.authMethod, event.type === 'session.created' ? 'password' : null, 'a session this server starts says its login was by password')
    t.match(event.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
  }
  const [created, succeeded, ended, passwordChanged, recreated, expired] = events
  t.equal(created?.deviceId, 'phone-1')
  t.equal(succeeded?.deviceId, 'phone-1')
  t.equal(passwordChanged?.deviceId, 'phone-1')
  t.equal(recreated?.deviceId, 'phone-1', "the password change's new session keeps the device")
  t.equal(succeeded?.account, createHash('sha256').update(user.account).digest('hex'))
  t.equal(created?.at, new Date(clock.now() - (MAX_LIFETIME_SECONDS + ROTATE_AFTER_SECONDS + 1) * MS_PER_SECOND).toISOString(), "`at` is the server's clock")
  t.same([created, succeeded, ended, passwordChanged].map((event) => event?.ip), [CLIENT_IP, CLIENT_IP, CLIENT_IP, CLIENT_IP])
  t.same([expired?.ip, expired?.deviceId, expired?.account], [null, null, null], 'what Redis reports has no client')
})

t.test('refresh: rotation, then reuse of a rotated token ends the session', async (t) => {
  const clock = new TestClock()
  const { app } = await buildTestApp(t, { clock: clock.now, env: { ...STREAM, AUTH_STRATEGY: 'refresh', REFRESH_REUSE_GRACE: String(REUSE_GRACE_SECONDS) } })
  const login = await logIn(app, await createUser(app))
  const { refreshToken } = login.response.json<{ refreshToken: string }>()
  const refreshed = async (token: string): Promise<number> => (await refresh(app, token)).statusCode
  t.equal(await refreshed(refreshToken), 200)
  clock.advance((REUSE_GRACE_SECONDS + 1) * MS_PER_SECOND)
  t.equal(await refreshed(refreshToken), 401, 'the rotated token, past its grace')

  t.same(summaryOf(await streamedEvents(app)), [
    ['session.created', null, login.sessionId],
    ['login.succeeded', null, login.sessionId],
    ['refresh.rotated', null, login.sessionId],
    ['refresh.reused', null, login.sessionId],
    ['session.ended', 'refresh_reused', login.sessionId]
  ])
})

t.test('login.failed carries the account hashed, and no password, in the stream and the audit log', async (t) => {
  const logs = new LogCollector()
  const { app } = await buildTestApp(t, { logStream: logs, env: { ...STREAM, RATE_LIMIT_LOGIN_ACCOUNT_IP: '1' } })
  const user = await createUser(app)
  const wrongPassword = 'not the password at all'
  const attempt = async (): Promise<number> =>
    (await app.inject({ method: 'POST', url: '/auth/login', payload: { account: user.account.toUpperCase(), password: wrongPassword } })).statusCode
  t.equal(await attempt(), 401)
  t.equal(await attempt(), 429)

  const events = await streamedEvents(app)
  t.same(events.map((event) => [event.type, event.reason]), [
    ['login.failed', 'bad_credentials'],
    ['rate_limited', 'login_account_ip'],
    ['login.failed', 'rate_limited']
  ])
  const digest = createHash('sha256').update(user.account).digest('hex')
  t.same(events.map((event) => event.account), [digest, null, digest], 'the normalized account, hashed')
  t.same(events.map((event) => event.userId), [null, null, null], 'a failed login names no user')

  const entries = await app.redis.xrange('auth-events', '-', '+')
  const [, firstFields = []] = entries[0] ?? []
  const flat = Object.fromEntries(firstFields.flatMap((value, i) => i % 2 === 0 ? [[value, firstFields[i + 1]]] : []))
  t.same(flat, {
    type: 'login.failed',
    at: events[0]?.at,
    userId: '',
    sessionId: '',
    deviceId: '',
    reason: 'bad_credentials',
    ip: CLIENT_IP,
    account: digest,
    count: '',
    actor: '',
    authMethod: '',
    deviceType: '',
    amr: '',
    event: JSON.stringify({ ...events[0], id: undefined })
  }, 'a stream entry holds the event field by field (null as empty), and whole as JSON in `event`')
  const raw = JSON.stringify(entries)
  const auditLines = logs.lines<{ logger?: string, type?: string }>().filter((line) => line.logger === 'audit')
  t.same(auditLines.map((line) => line.type), ['login.failed', 'rate_limited', 'login.failed'], 'the same events, in the audit log')
  for (const [name, text] of [['stream', raw], ['log', logs.text]] as const) {
    t.notOk(text.toLowerCase().includes(user.account), `no account in the ${name}`)
    t.notOk(text.includes(wrongPassword), `no password in the ${name}`)
  }
})

t.test('an idle expiry is told once however many instances hear of it', async (t) => {
  const redisServer = await RedisServer.start()
  t.teardown(async () => await redisServer.destroy())
  const instances = await Promise.all([1, 2, 3].map(async () => (await buildTestApp(t, { redisServer, env: STREAM })).app))
  const [app] = instances
  if (app === undefined) throw new Error('no instance')
  const login = await logIn(app, await createUser(app))
  await expireKeyNow(app, `ACCESS_TOKEN:{${login.userId}}:${login.sessionId}`)
  await waitForStreamedEvents(app, 3)
  await sleep(DUPLICATE_WAIT_MS)
  t.same(summaryOf(await streamedEvents(app)), [
    ['session.created', null, login.sessionId],
    ['login.succeeded', null, login.sessionId],
    ['session.ended', 'expired', login.sessionId]
  ])
})

t.test('idle expiry of sessions of string user ids: the id as the expired key gives it back (docs/events.md)', async (t) => {
  const { app } = await buildTestApp(t, { env: STREAM })
  const number = randomInt(1_000_000_000, 2_147_483_647)
  // [started with, reported as]: the expired key no longer says whether "123" was a string.
  const cases: Array<[started: string | number, reported: string | number]> = [
    [randomUUID(), ''], [`0${number}`, ''], [String(2_147_483_648 + number), ''], [String(number), number], [number, number]
  ]
  const started = await Promise.all(cases.map(async ([userId]) => await startSession(app, userId)))
  await waitForStreamedEvents(app, cases.length)
  for (const session of started) await expireKeyNow(app, `ACCESS_TOKEN:{${String(session.userId)}}:${session.sessionId}`)
  const ended = (await waitForStreamedEvents(app, 2 * cases.length)).filter((event) => event.type === 'session.ended')
  cases.forEach(([userId, reported], i) => {
    const event = ended.find((candidate) => candidate.sessionId === started[i]?.sessionId)
    t.strictSame([event?.reason, event?.userId], ['expired', reported === '' ? userId : reported],
      `started with ${JSON.stringify(userId)}: told as ${JSON.stringify(reported === '' ? userId : reported)}`)
  })
})

t.test('a restarted Redis, which forgot the CONFIG SET, is given it again and its expiries are told', async (t) => {
  const redisServer = await RedisServer.start()
  t.teardown(async () => await redisServer.destroy())
  const { app } = await buildTestApp(t, { redisServer, env: STREAM })
  await redisServer.stop()
  await redisServer.restart()
  const admin = new Redis(redisServer.url)
  t.teardown(() => admin.disconnect())
  const notifying = async (): Promise<boolean> => {
    const [, flags = ''] = await admin.config('GET', 'notify-keyspace-events') as string[]
    return flags.includes('E') && flags.includes('x')
  }
  await waitUntil(notifying, 'the server to set notify-keyspace-events again')
  t.ok(await notifying(), 'notify-keyspace-events includes E and x again')
  const login = await logInOnceRedisAnswers(app)
  await expireKeyNow(app, `ACCESS_TOKEN:{${login.userId}}:${login.sessionId}`)
  const ended = (await waitForStreamedEvents(app, 3)).filter((event) => event.type === 'session.ended')
  t.same(summaryOf(ended), [['session.ended', 'expired', login.sessionId]], 'the expiry after the restart is told')
})

async function waitUntil (condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + RECONNECT_LIMIT_MS
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(POLL_MS)
  }
}

// The app's own connection comes back on its own time: until it does, a login answers 503.
async function logInOnceRedisAnswers (app: FastifyInstance): Promise<LoggedIn> {
  const user = await createUser(app)
  const deadline = Date.now() + RECONNECT_LIMIT_MS
  for (;;) {
    try {
      return await logIn(app, user)
    } catch (error) {
      if (Date.now() > deadline) throw error
      await sleep(POLL_MS)
    }
  }
}
