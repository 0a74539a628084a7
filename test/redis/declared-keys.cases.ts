import { createHash } from 'node:crypto'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { Redis } from 'ioredis'
import t, { type Test } from 'tap'
import { releaseAttemptScript, reserveAttemptScript } from '../../src/rate-limit/attempt-scripts.js'
import type { RegisteredScript } from '../../src/redis/lua-script.js'
import { REFRESH_SCRIPTS } from '../../src/refresh/refresh-scripts.js'
import { RedisSessionStore } from '../../src/sessions/redis-session-store.js'
import { SESSION_SCRIPTS } from '../../src/sessions/session-scripts.js'
import type { SessionRecord } from '../../src/sessions/session-store.js'
import { buildTestApp } from '../helpers/build-app.js'
import { RedisMonitor, type MonitoredCommand } from '../helpers/redis-monitor.js'
import { RedisServer } from '../helpers/redis-server.js'
import { createAndLogIn, createUser, logIn, me, TEST_PASSWORD, uniqueAccount, type LoggedIn } from '../helpers/sessions.js'
import { logInForRefresh, refresh } from '../helpers/strategies.js'
import { TestClock } from '../helpers/test-clock.js'

// Every script touches only the keys it is given in KEYS: a Redis Cluster proxy that checks
// scripts refuses any other, and so the same scripts run on one Redis and on a cluster.
//
// Why this check: neither a single Redis nor a cluster node enforces that. A cluster node (Redis
// 7, a script with a `#!lua` shebang) refuses only a key of another slot, and every key of one
// user shares a slot through the `{userId}` hash tag, so a script that builds a key name of the
// same user passes there. So this test runs the session, refresh and rate-limit flows against a
// real redis-server, reads MONITOR, which reports every command a script runs with its
// arguments, asks that same server which arguments of each command are keys (COMMAND GETKEYS),
// and compares them with the KEYS of the EVAL or EVALSHA that ran the script. Every script must
// have run, or the test would prove nothing about it; and a script that does touch an undeclared
// key is run first, to show that the check catches one.

const FALLBACK_TTL_MS = 60_000
const SESSION_TTL_MS = 600_000
const CAP = 2

interface ScriptRun {
  script: string
  declared: string[]
  commands: string[][]
}

// Run first: it touches a key it was not given, so the check must report it.
const UNDECLARED_PROBE = {
  name: 'the probe',
  lua: "redis.call('EXISTS', KEYS[1])\nreturn redis.call('GET', KEYS[1] .. ':undeclared')",
  key: 'probe-key'
}

const SCRIPTS: readonly RegisteredScript[] = [...SESSION_SCRIPTS, ...REFRESH_SCRIPTS, reserveAttemptScript, releaseAttemptScript]

function sha1 (text: string): string {
  return createHash('sha1').update(text).digest('hex')
}

const scriptNames = new Map<string, string>([
  [sha1(UNDECLARED_PROBE.lua), UNDECLARED_PROBE.name],
  ...SCRIPTS.map((script): [string, string] => [sha1(script.lua), script.command])
])

function isScriptCall (command: MonitoredCommand): boolean {
  const name = command.args[0]?.toUpperCase()
  return command.source !== 'lua' && (name === 'EVAL' || name === 'EVALSHA')
}

function runOf (call: MonitoredCommand, commands: string[][]): ScriptRun {
  const [name = '', body = '', keyCount = '0'] = call.args
  const sha = name.toUpperCase() === 'EVAL' ? sha1(body) : body.toLowerCase()
  return { script: scriptNames.get(sha) ?? `unknown script ${sha}`, declared: call.args.slice(3, 3 + Number(keyCount)), commands }
}

// Each script call with the commands it ran. A script is atomic, so its commands are reported
// next to its call, all after it or (in some Redis versions) all before it: `callFirst` says which.
function scriptRuns (commands: readonly MonitoredCommand[], callFirst: boolean): ScriptRun[] {
  const runs: ScriptRun[] = []
  let inner: string[][] = []
  let open: ScriptRun | undefined
  for (const command of commands) {
    if (command.source === 'lua') {
      if (callFirst && open === undefined) throw new Error(`a script's command without its call: ${command.args.join(' ')}`)
      if (open !== undefined) open.commands.push(command.args)
      else inner.push(command.args)
    } else if (isScriptCall(command)) {
      if (callFirst) {
        open = runOf(command, [])
        runs.push(open)
      } else {
        runs.push(runOf(command, inner))
        inner = []
      }
    } else {
      if (inner.length > 0) throw new Error(`script commands without their call before ${command.args.join(' ')}`)
      open = undefined
    }
  }
  return runs
}

async function keysOf (redis: Redis, command: readonly string[]): Promise<string[]> {
  try {
    return await redis.call('COMMAND', 'GETKEYS', ...command) as string[]
  } catch (error) {
    if (error instanceof Error && /no key arguments/i.test(error.message)) return []
    throw error
  }
}

// Each key a script touched that was not among its KEYS, as one line per offence.
async function undeclaredKeys (redis: Redis, runs: readonly ScriptRun[]): Promise<string[]> {
  const offences = new Set<string>()
  for (const run of runs) {
    for (const command of run.commands) {
      for (const key of await keysOf(redis, command)) {
        if (!run.declared.includes(key)) offences.add(`${run.script}: ${command[0] ?? ''} ${key}`)
      }
    }
  }
  return [...offences]
}

async function post (app: FastifyInstance, url: string, token: string, payload: object = {}): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'POST', url, headers: { token }, payload })
}

// Logins beyond the cap (one over a session that ended on its own), a wrong password, requests
// with a reissue, listing, a revoke, an admin's revoke of one device, a password change, a
// re-authentication, a logout-others and a logout-all: every session script and the login and password rate limits.
async function sessionFlows (t: Test, redisServer: RedisServer): Promise<void> {
  const clock = new TestClock()
  const { app } = await buildTestApp(t, {
    redisServer, clock: clock.now, env: { SESSION_MAX_PER_USER: String(CAP), SESSION_ROTATE_AFTER: '1' }
  })
  const registered = await app.inject({ method: 'POST', url: '/auth/register', payload: { account: uniqueAccount(), password: TEST_PASSWORD } })
  t.equal(registered.statusCode, 201, `a registration (${registered.body})`)
  const user = await createUser(app)
  const logins: LoggedIn[] = []
  // A millisecond apart: the index orders sessions by login time.
  const logInOn = async (device: string): Promise<void> => {
    clock.advance(1)
    logins.push(await logIn(app, user, device))
  }
  for (const device of ['phone', 'laptop']) await logInOn(device)
  await app.redis.del(`ACCESS_TOKEN:{${user.userId}}:${logins[0]?.sessionId ?? ''}`)
  for (const device of ['tablet', 'phone', 'watch']) await logInOn(device)
  const wrong = await app.inject({ method: 'POST', url: '/auth/login', payload: { account: user.account, password: 'not the password' } })
  t.equal(wrong.statusCode, 401, 'a wrong password')
  const current = logins[4]?.token ?? ''
  t.equal((await me(app, current)).statusCode, 200, 'a request')
  clock.advance(2000)
  t.ok((await me(app, current)).headers['x-renewed-token'], 'a reissue')
  const listed = await app.inject({ method: 'GET', url: '/auth/sessions', headers: { token: current } })
  t.equal(listed.statusCode, 200, 'a listing')
  const reauthenticated = await post(app, '/auth/reauthenticate', current, { password: TEST_PASSWORD })
  t.equal(reauthenticated.statusCode, 200, `a re-authentication (${reauthenticated.body})`)
  const revoked = await app.inject({ method: 'DELETE', url: `/auth/sessions/${logins[3]?.sessionId ?? ''}`, headers: { token: current } })
  t.equal(revoked.statusCode, 200, 'a revoke from the list')
  const admin = await createAndLogIn(app, 'admin')
  t.equal((await post(app, '/admin/revoke', admin.token, { userId: user.userId, deviceId: 'watch' })).statusCode, 200, "an admin's revoke of one device")
  const beforeChange = await logIn(app, user, 'desk')
  const changed = await post(app, '/auth/password', beforeChange.token, { oldPassword: TEST_PASSWORD, newPassword: 'a new password for the check' })
  t.equal(changed.statusCode, 200, `a password change (${changed.statusCode === 200 ? 'ok' : changed.body})`)
  const withNewPassword = { ...user, password: 'a new password for the check' }
  const other = await logIn(app, withNewPassword, 'other')
  t.equal((await post(app, '/auth/logout', other.token)).statusCode, 200, 'a logout')
  const kept = await logIn(app, withNewPassword, 'kept')
  t.equal((await post(app, '/auth/logout-others', kept.token)).statusCode, 200, 'a logout-others')
  t.equal((await post(app, '/auth/logout-all', kept.token)).statusCode, 200, 'a logout-all')
}

// Logins of capped device types (SESSION_DEVICE_RULES): a second phone that replaces the first,
// a second tv that is refused, and requests of a typed session: the create script's devices
// index and the sessions of the type it ends.
async function deviceTypeFlows (t: Test, redisServer: RedisServer): Promise<void> {
  const rules = { phone: { maxSessions: 1 }, tv: { maxSessions: 1, onOverflow: 'refuse_new' }, web: { idleTtl: 600 } }
  const { app } = await buildTestApp(t, { redisServer, env: { SESSION_DEVICE_RULES: JSON.stringify(rules) } })
  const user = await createUser(app)
  const logInAs = async (deviceType: string): Promise<number> => (await app.inject({
    method: 'POST', url: '/auth/login', payload: { account: user.account, password: user.password, deviceType }
  })).statusCode
  const firstPhone = await logIn(app, user, undefined, { deviceType: 'phone' })
  t.equal(await logInAs('phone'), 200, 'a second phone')
  t.equal((await me(app, firstPhone.token)).json<{ reason?: string }>().reason, 'replaced', 'replaces the first')
  t.equal(await logInAs('tv'), 200, 'a tv')
  t.equal(await logInAs('tv'), 409, 'a second tv is refused')
  const web = await logIn(app, user, undefined, { deviceType: 'web', rememberMe: false })
  t.equal((await me(app, web.token)).statusCode, 200, 'a request of a session with its own idle TTL')
}

// A login, a refresh, and a retired refresh token presented after the grace window (the reuse
// that ends the family): both refresh scripts and the refresh rate limits.
async function refreshFlows (t: Test, redisServer: RedisServer): Promise<void> {
  const clock = new TestClock()
  const { app } = await buildTestApp(t, { redisServer, clock: clock.now, env: { AUTH_STRATEGY: 'refresh', REFRESH_REUSE_GRACE: '1' } })
  const login = await logInForRefresh(app, await createUser(app))
  t.equal((await refresh(app, login.refreshToken)).statusCode, 200, 'a refresh')
  clock.advance(2000)
  const reused = await refresh(app, login.refreshToken)
  t.equal(reused.statusCode, 401, 'a reused refresh token')
}

// What only a PostgreSQL refresh store calls: a session brought back, kept, and refused once ended.
async function resumeFlows (t: Test, redisServer: RedisServer): Promise<void> {
  const redis = new Redis(redisServer.url)
  t.teardown(() => redis.disconnect())
  const store = new RedisSessionStore(redis, { fallbackTombstoneTtlMs: FALLBACK_TTL_MS })
  const record: SessionRecord = { sessionId: 'resumed', userId: 1_000_000, userType: 'user', account: 'resumed', loginAt: Date.now(), ip: '127.0.0.1' }
  t.same(await store.resume(record, SESSION_TTL_MS), { status: 'alive' }, 'brought back')
  t.same(await store.resume(record, SESSION_TTL_MS), { status: 'alive' }, 'kept')
  await store.revoke(record.userId, record.sessionId, 'logout')
  t.same(await store.resume(record, SESSION_TTL_MS), { status: 'ended', reason: 'logout' }, 'refused once ended')
}

t.test('no script touches a key it was not given in KEYS', async (t) => {
  const redisServer = await RedisServer.start()
  t.teardown(async () => await redisServer.destroy())
  const admin = new Redis(redisServer.url)
  t.teardown(() => admin.disconnect())
  const monitor = await RedisMonitor.start(redisServer.port)
  t.teardown(() => monitor.stop())

  await admin.eval(UNDECLARED_PROBE.lua, 1, UNDECLARED_PROBE.key)
  await sessionFlows(t, redisServer)
  await deviceTypeFlows(t, redisServer)
  await refreshFlows(t, redisServer)
  await resumeFlows(t, redisServer)
  await monitor.drain(admin)

  const commands = [...monitor.commands]
  const probeCall = commands.findIndex((command) => isScriptCall(command) && command.args.includes(UNDECLARED_PROBE.key))
  const probeCommand = commands.findIndex((command) => command.source === 'lua' && command.args[1] === UNDECLARED_PROBE.key)
  t.ok(probeCall >= 0 && probeCommand >= 0, 'MONITOR reported the probe and what it ran')
  const runs = scriptRuns(commands, probeCall < probeCommand)

  const ran = new Set(runs.map((run) => run.script))
  t.same(SCRIPTS.map((script) => script.command).filter((name) => !ran.has(name)), [], 'every script ran')
  t.same(runs.map((run) => run.script).filter((name) => name.startsWith('unknown')), [], 'every script call is one of ours')
  const checked = runs.reduce((count, run) => count + run.commands.length, 0)
  const offences = await undeclaredKeys(admin, runs)
  t.same(offences, [`${UNDECLARED_PROBE.name}: GET ${UNDECLARED_PROBE.key}:undeclared`],
    `of ${checked} commands in ${runs.length} script calls, only the probe's touches a key it was not given`)
})
