import Fastify from 'fastify'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import t from 'tap'
import { sessionCheck } from '../../session-check/index.js'
import { eventOfEntry } from '../../src/events/event-stream.js'
import type { SessionEvent } from '../../src/events/session-event.js'
import { sessionKeys } from '../../src/sessions/session-keys.js'
import { runCli, UNREACHABLE_DATABASE_URL } from '../bin/run-cli.js'
import { buildTestApp, TEST_JWT_SECRET } from '../helpers/build-app.js'
import { aclRefusals, documentedAcl } from '../helpers/documented-acl.js'
import { LogCollector } from '../helpers/log-collector.js'
import { RedisServer } from '../helpers/redis-server.js'
import { createAndLogIn, createUser, logIn, me } from '../helpers/sessions.js'
import { SLIDING } from '../helpers/strategies.js'

// Issue 23, item 6: the Redis ACL docs/deployment.md gives, one user per service, run as written
// (the lines are read from the page, so the two cannot drift). The auth server does all it does
// as `auth-server`, without CONFIG (the operator sets notify-keyspace-events), and the plugin
// checks sessions as `orders-service`, which may not post an event nor run CONFIG. Redis' ACL LOG
// lists every command a user was refused, scripts' commands included: it must stay empty.

const CONDITION_LIMIT_MS = 30_000
const POLL_MS = 20
const KEY_PREFIX = 'auth:'
const STREAM = 'auth-events'
const WEBHOOK_SECRET = 'webhook-secret-that-is-at-least-32-characters'

const acl = documentedAcl()
const { serverLine, serviceLine, loginServiceLine, configLine } = acl
t.ok(serverLine !== undefined && serviceLine !== undefined && loginServiceLine !== undefined && configLine !== undefined,
  'docs/deployment.md gives the auth server\'s, a service\'s, a login service\'s and the CONFIG line')
const redis = await RedisServer.start()
t.teardown(async () => await redis.destroy())
const operator = new Redis(redis.port, '127.0.0.1')
t.teardown(() => operator.disconnect())
for (const line of [serverLine, serviceLine, loginServiceLine]) if (line !== undefined) await acl.apply(operator, line)
// What docs/deployment.md tells the operator to set instead of granting CONFIG.
await operator.config('SET', 'notify-keyspace-events', 'Ex')
await operator.acl('LOG', 'RESET')
const urlOf = (user: string, password: string): string => `redis://${user}:${password}@127.0.0.1:${redis.port}`

async function waitFor (condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + CONDITION_LIMIT_MS
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(POLL_MS)
  }
}

// The stream read as the operator: the test's own reads are no part of what the users need.
async function streamed (): Promise<SessionEvent[]> {
  const entries = await operator.xrange(`${KEY_PREFIX}${STREAM}`, '-', '+')
  return entries.flatMap(([, fields]) => eventOfEntry(fields) ?? [])
}

async function bodyOf (request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

const delivered: string[] = []
const receiver = createServer((request, response) => {
  void bodyOf(request).then((body) => {
    delivered.push((JSON.parse(body) as { type: string }).type)
    response.writeHead(204).end()
  })
})
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
t.teardown(() => receiver.close())

const serverEnv = {
  REDIS_URL: urlOf('auth-server', acl.passwords.server),
  REDIS_KEY_PREFIX: KEY_PREFIX,
  NEAR_CACHE: 'on',
  EVENTS_STREAM: STREAM,
  EVENTS_EXPIRED: 'on',
  EVENTS_WEBHOOK_URL: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`,
  EVENTS_WEBHOOK_SECRET: WEBHOOK_SECRET,
  EVENTS_WEBHOOK_RETRY_MS: '10'
}

t.test('the auth server does everything it does as the documented auth-server user, without CONFIG', async (t) => {
  const logs = new LogCollector()
  const { app } = await buildTestApp(t, { env: serverEnv, databaseUrl: SLIDING.databaseUrl, logStream: logs })
  await waitFor(() => app.nearCache?.enabled === true, 'the near-cache to track')
  const user = await createUser(app)
  const refused = await app.inject({ method: 'POST', url: '/auth/login', payload: { account: user.account, password: 'not the password' } })
  t.equal(refused.statusCode, 401, 'a wrong password is refused (and counted)')
  const session = await logIn(app, user)
  const other = await logIn(app, user)
  t.equal((await me(app, session.token)).statusCode, 200, 'the session is checked')
  t.equal((await me(app, session.token)).statusCode, 200, 'and again, from the near-cache')
  t.equal((await app.inject({ method: 'POST', url: '/auth/logout', headers: { token: session.token } })).statusCode, 200, 'a logout')
  t.equal((await me(app, session.token)).json().reason, 'logout', 'refused after it')

  await operator.pexpire(sessionKeys(KEY_PREFIX).session(other.userId, other.sessionId), 1)
  await app.sessionEventsWritten()
  const endedBy = async (): Promise<unknown[]> => (await streamed())
    .filter((event) => event.type === 'session.ended' && event.sessionId === other.sessionId).map((event) => event.reason)
  await waitFor(async () => (await endedBy()).length > 0, 'the idle-expiry event')
  t.same(await endedBy(), ['expired'], 'idle expiry is told, with notify-keyspace-events set by the operator')
  await waitFor(() => delivered.includes('session.ended'), 'the webhook to deliver')
  const lines = logs.lines<{ level: number, msg: string }>()
  t.equal(lines.filter((line) => line.level === 30 && line.msg.includes('may not run CONFIG')).length, 1, 'one info line says CONFIG is not run')
  t.notOk(lines.some((line) => line.level >= 40 && line.msg.includes('notify-keyspace-events')), 'and no warning')

  // The user list reads its page's bans in one pipeline of GETs, which the user is allowed.
  const admin = await createAndLogIn(app, 'admin')
  const listed = await app.inject({ method: 'GET', url: '/admin/users', headers: { token: admin.token } })
  t.equal(listed.statusCode, 200, `an admin lists the users and their bans: ${listed.body}`)

  const cli = await runCli(['sessions', '--user', String(user.userId)], { REDIS_URL: serverEnv.REDIS_URL, REDIS_KEY_PREFIX: KEY_PREFIX, DATABASE_URL: UNREACHABLE_DATABASE_URL })
  t.equal(cli.code, 0, `the admin CLI lists sessions as auth-server: ${cli.stderr}`)
  const revoked = await runCli(['revoke', '--user', String(user.userId)], { REDIS_URL: serverEnv.REDIS_URL, REDIS_KEY_PREFIX: KEY_PREFIX, DATABASE_URL: UNREACHABLE_DATABASE_URL })
  t.match(revoked.stdout, /revoked/, `and revokes them: ${revoked.stderr}`)
  t.same(await aclRefusals(operator), [], 'Redis refused the auth server nothing')
  t.ok((await operator.acl('LOG') as unknown[][]).some((entry) => entry.includes('config|get')), 'but CONFIG, which it tried')
})

t.test('the refresh strategy\'s tokens in Redis, as auth-server', async (t) => {
  const { app } = await buildTestApp(t, { env: { ...serverEnv, AUTH_STRATEGY: 'refresh', REFRESH_STORE: 'redis', REFRESH_REUSE_GRACE: '0' }, databaseUrl: SLIDING.databaseUrl })
  const login = await logIn(app, await createUser(app))
  const { refreshToken } = login.response.json<{ refreshToken: string }>()
  const refreshed = await app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken } })
  t.equal(refreshed.statusCode, 200, 'a refresh token is rotated')
  const reused = await app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken } })
  t.equal(reused.statusCode, 401, 'its reuse is refused')
  t.same(await aclRefusals(operator), [], 'Redis refused the auth server nothing')
})

t.test('the plugin checks sessions as the documented service user, which may not post events nor run CONFIG', async (t) => {
  const { app } = await buildTestApp(t, { env: serverEnv, databaseUrl: SLIDING.databaseUrl })
  const session = await logIn(app, await createUser(app))
  const service = Fastify()
  t.teardown(async () => await service.close())
  await service.register(sessionCheck, {
    redisUrl: urlOf('orders-service', acl.passwords.service),
    redisKeyPrefix: KEY_PREFIX,
    nearCache: 'on',
    jwtSecret: TEST_JWT_SECRET,
    env: {}
  })
  service.get('/orders', { preHandler: service.authenticate }, async (request) => ({ userId: request.user.userId }))
  await waitFor(() => service.sessionCheck.nearCache?.enabled === true, 'the plugin\'s near-cache to track')
  const orders = async (): Promise<number> => (await service.inject({ method: 'GET', url: '/orders', headers: { token: session.token } })).statusCode
  t.equal(await orders(), 200, 'a session the server made is accepted')
  t.equal(await orders(), 200, 'and again, from the near-cache')
  await app.inject({ method: 'POST', url: '/auth/logout', headers: { token: session.token } })
  await waitFor(async () => await orders() === 401, 'the service to hear of the logout')
  t.same(await aclRefusals(operator), [], 'Redis refused the service nothing while it checked sessions')

  const asService = new Redis(urlOf('orders-service', acl.passwords.service), { maxRetriesPerRequest: 0 })
  t.teardown(() => asService.disconnect())
  const streamLength = await operator.xlen(`${KEY_PREFIX}${STREAM}`)
  await t.rejects(asService.xadd(`${KEY_PREFIX}${STREAM}`, '*', 'type', 'session.created', 'userId', '1'), /NOPERM/, 'XADD to the events stream is refused')
  await t.rejects(asService.call('CONFIG', 'SET', 'notify-keyspace-events', ''), /NOPERM/, 'CONFIG SET is refused')
  await t.rejects(asService.get(`${KEY_PREFIX}RATE_LIMIT:login:ip:127.0.0.1`), /NOPERM/, 'rate-limit counters are out of reach')
  t.equal(await operator.xlen(`${KEY_PREFIX}${STREAM}`), streamLength, 'nothing was added to the stream')
})

t.test('a service starts and ends sessions as the documented login-service user, and tells their events', async (t) => {
  const { app } = await buildTestApp(t, { env: { ...serverEnv, SESSION_MAX_PER_USER: '2' }, databaseUrl: SLIDING.databaseUrl })
  // The refusals the case before provoked on purpose.
  await operator.acl('LOG', 'RESET')
  const service = Fastify()
  t.teardown(async () => await service.close())
  await service.register(sessionCheck, {
    redisUrl: urlOf('login-service', acl.passwords.loginService),
    redisKeyPrefix: KEY_PREFIX,
    jwtSecret: TEST_JWT_SECRET,
    sessionMaxPerUser: 2,
    eventsStream: STREAM,
    eventsWebhookSecret: WEBHOOK_SECRET,
    env: {}
  })
  await service.ready()
  const userId = 900_001
  // The cap ends the session with the oldest login time, in milliseconds: logins apart by one.
  const sessions = []
  for (let login = 0; login < 3; login++) {
    if (login > 0) await sleep(2)
    sessions.push(await service.sessions.start({ userId }))
  }
  t.equal((await me(app, sessions[0]?.token ?? '')).json<{ reason: string }>().reason, 'evicted', 'the cap evicted the oldest')
  t.equal((await me(app, sessions[2]?.token ?? '')).statusCode, 200, 'the auth server honours the newest')
  t.equal((await service.sessions.list(userId)).length, 2)
  t.equal(await service.sessions.end(userId, sessions[1]?.sessionId ?? ''), true)
  t.equal(await service.sessions.endAll(userId, { reason: 'logout_all' }), 1)
  // A ban: its key (ACCESS_TOKEN_BAN:) is one of the service's, written with SET PX, read by the
  // login script and a refresh, deleted by unban.
  const banned = await service.sessions.start({ userId })
  t.equal(await service.sessions.ban(userId, { reason: 'acl', until: new Date(Date.now() + 60_000) }), 1, 'a ban ends the session')
  await t.rejects(service.sessions.start({ userId }), { code: 'AUTH_1011' }, 'and refuses a new one')
  t.match((await me(app, banned.token)).json(), { reason: 'banned' })
  t.equal(await service.sessions.unban(userId), true, 'unban')
  await service.close()
  const told = (await streamed()).filter((event) => event.userId === userId).map((event) => [event.type, event.reason])
  t.same(told, [
    ['session.created', null], ['session.created', null], ['session.created', null], ['session.ended', 'evicted'],
    ['session.ended', 'revoked'], ['session.ended', 'logout_all'],
    ['session.created', null], ['user.banned', 'acl'], ['session.ended', 'banned'], ['user.unbanned', null]
  ], 'its events are in the stream')
  t.same(await aclRefusals(operator), [], 'Redis refused the login service nothing')
})

t.test('with the documented CONFIG line, the server sets notify-keyspace-events itself', async (t) => {
  if (configLine === undefined) throw new Error('no CONFIG line in docs/deployment.md')
  await acl.apply(operator, configLine)
  await operator.config('SET', 'notify-keyspace-events', '')
  await operator.acl('LOG', 'RESET')
  await buildTestApp(t, { env: serverEnv, databaseUrl: SLIDING.databaseUrl })
  const [, flags = ''] = await operator.config('GET', 'notify-keyspace-events') as string[]
  t.ok(flags.includes('E') && flags.includes('x'), `the server turned the expiry notifications on: "${flags}"`)
  t.same(await operator.acl('LOG'), [], 'Redis refused it nothing, CONFIG included')
})
