import Fastify, { type FastifyInstance } from 'fastify'
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import { sessionCheck } from '../../session-check/index.js'
import { withRequiredFlags } from '../../src/events/session-expiry-watcher.js'
import { sessionKeys } from '../../src/sessions/session-keys.js'
import { runCli, UNREACHABLE_DATABASE_URL } from '../bin/run-cli.js'
import { buildTestApp, TEST_JWT_SECRET } from '../helpers/build-app.js'
import { RedisCluster } from '../helpers/redis-cluster.js'
import { streamedEvents } from '../helpers/session-events.js'
import { createAndLogIn, me, type LoggedIn } from '../helpers/sessions.js'
import { SLIDING } from '../helpers/strategies.js'

// Issue "Scale-out": two instances with REDIS_CLUSTER_NODES and the near-cache on, over a real
// cluster of three masters with a replica each. The cache tracks every master: a logout on one
// instance is refused by the other, for sessions on each master, also after slots holding live
// sessions move (redis-cli --cluster reshard, under load) and after a master fails over. Idle
// expiry, which each master reports of its own keys, is told once as a session event (three
// instances listen). The session-check plugin and the admin CLI take the same setting.

// A liveness bound for what happens by itself (tracking starts, a failover heals), far above
// what it needs; not a performance assertion.
const CONDITION_LIMIT_MS = 30_000
const POLL_MS = 20
const SESSIONS_PER_MASTER = 3
const MASTER_COUNT = 3
// The instances below that run the expiry watcher: a, b and uncached.
const INSTANCE_COUNT = 3
const EXPIRED_CHANNEL = '__keyevent@0__:expired'
// Users are cheap to make (their password hash is shared); enough to find some on each master.
const MAX_USERS = 200
const EXPIRY_ECHO_MS = 500

const cluster = await RedisCluster.start({ replicas: true })
t.teardown(async () => await cluster.destroy())
const env = { REDIS_CLUSTER_NODES: cluster.seedNodes, NEAR_CACHE: 'on', EVENTS_STREAM: 'auth-events' }
const { app: a } = await buildTestApp(t, { env, databaseUrl: SLIDING.databaseUrl })
const { app: b } = await buildTestApp(t, { env, databaseUrl: SLIDING.databaseUrl })
// Without the near-cache, every check runs the session script: the load that meets a slot move.
const { app: uncached } = await buildTestApp(t, { env: { ...env, NEAR_CACHE: 'off' }, databaseUrl: SLIDING.databaseUrl })

async function waitFor (condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + CONDITION_LIMIT_MS
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(POLL_MS)
  }
}

function nearCacheOf (app: FastifyInstance): NonNullable<FastifyInstance['nearCache']> {
  if (app.nearCache === null) throw new Error('NEAR_CACHE is off')
  return app.nearCache
}

// Sessions logged in on `a`, SESSIONS_PER_MASTER of them on each master as the cluster formed.
async function sessionsOnEveryMaster (): Promise<LoggedIn[][]> {
  const byMaster: LoggedIn[][] = Array.from({ length: MASTER_COUNT }, () => [])
  for (let made = 0; byMaster.some((sessions) => sessions.length < SESSIONS_PER_MASTER); made++) {
    if (made === MAX_USERS) throw new Error('could not place sessions on every master')
    const session = await createAndLogIn(a)
    const sessions = byMaster[await cluster.nodeOf(`{${session.userId}}`)]
    if (sessions !== undefined && sessions.length < SESSIONS_PER_MASTER) sessions.push(session)
  }
  return byMaster
}

// Served from `app`'s cache once it has seen the session. (The first check's "last seen" write
// comes back as an invalidation that may overtake the first fill: hence two checks to warm it.)
async function assertServedFromCache (t: Test, app: FastifyInstance, session: LoggedIn, message: string): Promise<void> {
  for (let check = 0; check < 2; check++) {
    t.equal((await me(app, session.token)).statusCode, 200, `${message}: accepted`)
    await nearCacheOf(app).sync()
  }
  const hits = nearCacheOf(app).counts.hits
  t.equal((await me(app, session.token)).statusCode, 200, `${message}: accepted again`)
  t.equal(nearCacheOf(app).counts.hits, hits + 1, `${message}: from the near-cache`)
}

async function logOut (app: FastifyInstance, session: LoggedIn): Promise<void> {
  const response = await app.inject({ method: 'POST', url: '/auth/logout', headers: { token: session.token } })
  if (response.statusCode !== 200) throw new Error(`logout failed: ${response.statusCode} ${response.body}`)
}

// A logout on `a` is refused at once there and, once the invalidation arrives, on `b`.
async function assertLogoutReachesOtherInstance (t: Test, session: LoggedIn, message: string): Promise<void> {
  await assertServedFromCache(t, b, session, `${message}, before the logout`)
  await logOut(a, session)
  const onA = await me(a, session.token)
  t.same([onA.statusCode, onA.json().errorCode, onA.json().reason], [401, '1002', 'logout'], `${message}: refused where it was logged out`)
  await waitFor(async () => (await me(b, session.token)).statusCode === 401, `${message}: the other instance to refuse it`)
  t.equal((await me(b, session.token)).json().reason, 'logout', `${message}: the other instance refuses it, reason logout`)
}

// Redis lets the session expire now, as if it had been idle for its whole TTL; the instances'
// expiry watchers must tell it exactly once.
async function assertExpiryToldOnce (t: Test, session: LoggedIn, message: string): Promise<void> {
  const client = cluster.client()
  try {
    await client.pexpire(sessionKeys(a.config.REDIS_KEY_PREFIX).session(session.userId, session.sessionId), 1)
  } finally {
    client.disconnect()
  }
  const told = async (): Promise<unknown[]> => (await streamedEvents(a))
    .filter((event) => event.type === 'session.ended' && event.sessionId === session.sessionId)
    .map(({ reason, userId }) => ({ reason, userId }))
  await waitFor(async () => (await told()).length > 0, `${message}: the session.ended event`)
  // Every instance heard it; a second telling would come about as fast as the first.
  await sleep(EXPIRY_ECHO_MS)
  t.same(await told(), [{ reason: 'expired', userId: session.userId }], `${message}: one session.ended event, reason expired`)
}

const sessions = await sessionsOnEveryMaster()
await waitFor(() => nearCacheOf(a).enabled && nearCacheOf(b).enabled, 'tracking on every master')

t.test('the near-cache serves sessions of every master and hears of their logout on each', async (t) => {
  for (const [master, [session]] of sessions.entries()) {
    if (session !== undefined) await assertLogoutReachesOtherInstance(t, session, `a session on master ${master}`)
  }
})

// Each instance hears every master's expiries once its watcher for that master has turned the
// notifications on and subscribed: on a busy machine that may come after the near-cache's tracking.
async function everyMasterTellsExpiry (): Promise<boolean> {
  for (let master = 0; master < MASTER_COUNT; master++) {
    if (await cluster.listeners(master, EXPIRED_CHANNEL) < INSTANCE_COUNT) return false
    const flags = await cluster.notifyKeyspaceEvents(master)
    if (withRequiredFlags(flags) !== flags) return false
  }
  return true
}

t.test('idle expiry on each master is told once as a session event', async (t) => {
  await waitFor(everyMasterTellsExpiry, 'every instance to listen to every master\'s expiry notifications')
  for (const master of [0, 1]) {
    const session = sessions[master]?.[2]
    if (session !== undefined) await assertExpiryToldOnce(t, session, `a session on master ${master}`)
  }
})

t.test('moving slots that hold live sessions under load loses none and never answers 1002', async (t) => {
  const live = sessions.map((onMaster) => onMaster[1]).filter((session) => session !== undefined)
  const moved = live[0]
  if (moved === undefined) throw new Error('no session on master 0')
  const slot = await cluster.slotOf(`{${moved.userId}}`)
  const portBefore = await cluster.portServing(slot)
  const answers = new Map<string, number>()
  const moving = new AbortController()
  const load = (async () => {
    while (!moving.signal.aborted) {
      // Cached answers need no I/O: without a turn of the event loop, redis-cli's exit is never read.
      await nextTurn()
      for (const app of [a, b, uncached]) {
        for (const session of live) {
          const response = await me(app, session.token)
          const answer = response.statusCode === 200 ? '200' : `${response.statusCode} ${String(response.json().errorCode)}`
          answers.set(answer, (answers.get(answer) ?? 0) + 1)
        }
      }
    }
  })()
  try {
    // The lowest slots of master 0 move to master 1, up to the session's. Master 0 keeps some:
    // a failover needs the votes of a majority of the masters that hold slots.
    await cluster.reshard(0, 1, slot + 1)
  } finally {
    moving.abort()
    await load
  }
  // The nodes learn of the move through their gossip.
  await waitFor(async () => await cluster.portServing(slot) !== portBefore, 'the session\'s slot to be served by another node')
  t.same([...answers.keys()], ['200'], `every check during the move succeeded: ${JSON.stringify(Object.fromEntries(answers))}`)
  for (const session of live) {
    for (const app of [a, b, uncached]) t.equal((await me(app, session.token)).statusCode, 200, 'the session is alive after the move')
  }
  await waitFor(() => nearCacheOf(a).enabled && nearCacheOf(b).enabled, 'tracking after the move')
  await assertLogoutReachesOtherInstance(t, moved, 'a session whose slot moved')
})

t.test('a master that fails over answers 503 "1503" meanwhile, then heals without a restart', async (t) => {
  const onFailing = sessions[2]?.[1]
  if (onFailing === undefined) throw new Error('no session on master 2')
  await assertServedFromCache(t, b, onFailing, 'before the failover')
  const failing = cluster.failOver(2)
  const answers = new Set<string>()
  const failedOver = new AbortController()
  void failing.finally(() => failedOver.abort()).catch(() => {})
  while (!failedOver.signal.aborted) {
    await nextTurn()
    const response = await me(a, onFailing.token)
    answers.add(response.statusCode === 200 ? '200' : `${response.statusCode} ${String(response.json().errorCode)}`)
  }
  await failing
  t.ok([...answers].every((answer) => answer === '200' || answer === '503 1503'), `only 200 or 503 "1503" meanwhile: ${[...answers].join(', ')}`)
  t.ok(answers.has('503 1503'), 'the outage was answered 503 "1503"')
  for (const app of [a, b]) await waitFor(async () => (await me(app, onFailing.token)).statusCode === 200, 'the session to be served again')
  await waitFor(() => nearCacheOf(a).enabled && nearCacheOf(b).enabled, 'tracking on the promoted replica')
  await assertLogoutReachesOtherInstance(t, onFailing, 'a session on the promoted replica')
  const expiring = sessions[2]?.[2]
  if (expiring !== undefined) await assertExpiryToldOnce(t, expiring, 'a session on the promoted replica')
})

t.test('the session-check plugin and the admin CLI run on the cluster by the same setting', async (t) => {
  const session = sessions[1]?.[1]
  if (session === undefined) throw new Error('no session on master 1')
  const service = Fastify()
  t.teardown(async () => await service.close())
  await service.register(sessionCheck, { redisClusterNodes: cluster.seedNodes, jwtSecret: TEST_JWT_SECRET, env: {} })
  service.get('/orders', { preHandler: service.authenticate }, async (request) => ({ userId: request.user.userId }))
  const orders = await service.inject({ method: 'GET', url: '/orders', headers: { token: session.token } })
  t.same([orders.statusCode, orders.json()], [200, { userId: session.userId }], 'another service checks the session on the cluster')

  const cliEnv = { REDIS_CLUSTER_NODES: cluster.seedNodes, DATABASE_URL: UNREACHABLE_DATABASE_URL }
  const listed = await runCli(['sessions', '--user', String(session.userId)], cliEnv)
  t.equal(listed.code, 0, `sessions exits 0: ${listed.stderr}`)
  t.match(listed.stdout, session.sessionId, 'the CLI lists the session')
  const revoked = await runCli(['revoke', '--user', String(session.userId)], cliEnv)
  t.match(revoked.stdout, /revoked 1 session/, 'the CLI ends it')
  await waitFor(async () => (await service.inject({ method: 'GET', url: '/orders', headers: { token: session.token } })).statusCode === 401,
    'the other service to refuse the revoked session')
  t.equal((await me(b, session.token)).json().reason, 'admin', 'and the auth server too, reason admin')

  const unreachable = await runCli(['sessions', '--user', '1'], { ...cliEnv, REDIS_CLUSTER_NODES: '127.0.0.1:1', REDIS_PASSWORD: 'cli-secret-password' })
  t.not(unreachable.code, 0, 'an unreachable cluster fails the command')
  t.match(unreachable.stderr, 'the Redis Cluster at 127.0.0.1:1', 'and says where it looked')
  t.notMatch(unreachable.stderr, 'cli-secret-password', 'never printing the password')
})
