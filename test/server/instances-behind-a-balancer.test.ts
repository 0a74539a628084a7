import { randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import { request } from 'undici'
import { openPostgres } from '../../src/db/postgres-database.js'
import { UserRepository } from '../../src/users/user-repository.js'
import { createTestDatabase, POSTGRES_URL, reachablePostgresUrl } from '../helpers/database.js'
import { RedisCluster } from '../helpers/redis-cluster.js'
import { sharedRedisDatabaseUrl } from '../helpers/redis-server.js'
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js'
import { createUser, TEST_PASSWORD, type TestUser } from '../helpers/sessions.js'

// Two real server processes on one Redis and one PostgreSQL, with the near-cache on (the
// default), asked in turn as a round-robin load balancer would: what one instance does to a
// session, the other must honour.

// What every instance is told about Redis. A Redis Cluster run passes REDIS_CLUSTER_NODES here.
type RedisSettings = (t: Test) => Promise<Record<string, string>>

// Short enough that the slide test can outlive it in real time (the slide is what Redis' TTL
// does across processes, which a test clock cannot drive); long enough that no other test's
// session idles out between two of its requests on a loaded machine.
const SESSION_TTL_MS = 4000
// The policy extends a session once it has lost a tenth of its TTL (src/config/session-policies.ts).
const SLIDE_EVERY_MS = SESSION_TTL_MS / 10
// Activity on B lasts this much longer than the TTL, so a session that was not extended is gone.
const SLIDE_ACTIVITY_MS = SESSION_TTL_MS * 1.5
// How soon the other instances must refuse an ended session: the invalidation takes a
// millisecond or two (docs/near-cache.md); the bound leaves room for a loaded CI machine.
const REFUSAL_BOUND_MS = 2000
// Past this the poll stops, so a broken invalidation fails with its figure instead of hanging.
const REFUSAL_GIVE_UP_MS = 10_000
const REFUSAL_POLL_MS = 5
// Requests that put a session into an instance's near-cache before it is ended elsewhere.
const WARM_REQUESTS = 2
const ROUND_ROBIN_REQUESTS = 6
const NEW_PASSWORD = 'a different passphrase, long enough'

interface Instance {
  name: string
  server: ServerProcess
}

interface Answer {
  status: number
  body: Record<string, unknown>
}

interface Session {
  token: string
  sessionId: string
}

async function call (instance: Instance, method: 'GET' | 'POST', path: string, token?: string, json?: object): Promise<Answer> {
  const headers: Record<string, string> = token === undefined ? {} : { token }
  if (json !== undefined) headers['content-type'] = 'application/json'
  const response = await request(`${instance.server.origin}${path}`, {
    method, headers, ...(json === undefined ? {} : { body: JSON.stringify(json) })
  })
  return { status: response.statusCode, body: await response.body.json() as Record<string, unknown> }
}

async function me (instance: Instance, session: Session): Promise<Answer> {
  return await call(instance, 'GET', '/auth/me', session.token)
}

async function logIn (t: Test, instance: Instance, user: TestUser, password = user.password): Promise<Session> {
  const answer = await call(instance, 'POST', '/auth/login', undefined, { account: user.account, password })
  t.equal(answer.status, 200, `login on ${instance.name}`, { body: answer.body })
  return { token: String(answer.body.token), sessionId: String(answer.body.sessionId) }
}

async function warm (t: Test, instances: readonly Instance[], session: Session): Promise<void> {
  for (const instance of instances) {
    for (let i = 0; i < WARM_REQUESTS; i++) t.equal((await me(instance, session)).status, 200, `${instance.name} serves the session`)
  }
}

// How long after `since` the instance still served the token, asking one request at a time.
async function refusalDelayMs (instance: Instance, session: Session, since: number): Promise<number> {
  for (;;) {
    const { status, body } = await me(instance, session)
    const elapsed = performance.now() - since
    if (status === 401 || elapsed > REFUSAL_GIVE_UP_MS) return elapsed
    if (status !== 200) throw new Error(`${instance.name} answered ${status} ${JSON.stringify(body)} while the session ended`)
    await sleep(REFUSAL_POLL_MS)
  }
}

async function expectEnded (t: Test, instance: Instance, session: Session, reason: string): Promise<void> {
  const { status, body } = await me(instance, session)
  t.same({ status, errorCode: body.errorCode, reason: body.reason }, { status: 401, errorCode: '1002', reason },
    `${instance.name} refuses the token: 1002 ${reason}`)
}

// Every instance refuses every session within the bound; the figure is in the message.
async function expectRefusedEverywhere (
  t: Test, instances: readonly Instance[], sessions: readonly Session[], endedAt: number, what: string, reason: string
): Promise<void> {
  let slowest = 0
  for (const instance of instances) {
    for (const session of sessions) slowest = Math.max(slowest, await refusalDelayMs(instance, session, endedAt))
  }
  t.ok(slowest <= REFUSAL_BOUND_MS,
    `after ${what}, ${instances.map((i) => i.name).join(' and ')} refused ${sessions.length} session(s) within ${slowest.toFixed(1)} ms (bound ${REFUSAL_BOUND_MS} ms)`)
  for (const instance of instances) {
    for (const session of sessions) await expectEnded(t, instance, session, reason)
  }
}

async function instancesBehindABalancer (t: Test, redisSettings: RedisSettings, postgresUrl: string): Promise<void> {
  const database = await createTestDatabase(postgresUrl)
  t.teardown(async () => await database.drop())
  const databaseUrl = database.url ?? postgresUrl
  const env = { ...await redisSettings(t), DATABASE_URL: databaseUrl, SESSION_TTL: String(SESSION_TTL_MS / 1000) }
  // Started together, as a deployment's instances are: both migrate the fresh database at once.
  const [a, b] = await Promise.all([startServerProcess(t, env), startServerProcess(t, env)])
  const instances: [Instance, Instance] = [{ name: 'A', server: a }, { name: 'B', server: b }]
  const db = openPostgres(databaseUrl, () => undefined)
  t.teardown(async () => await db.close())
  const users = new UserRepository(db)

  t.test('a session made on one instance is honoured by both, request after request', async (t) => {
    const [a] = instances
    const session = await logIn(t, a, await createUser({ users }))
    // Round robin: B, A, B, A, ... after the login on A.
    for (let request = 1; request <= ROUND_ROBIN_REQUESTS; request++) {
      const instance = instances[request % instances.length] ?? a
      const { status, body } = await me(instance, session)
      t.same({ status, sessionId: body.sessionId }, { status: 200, sessionId: session.sessionId }, `request ${request}, on ${instance.name}`)
    }
  })

  t.test(`a logout on one instance is refused by the other within ${REFUSAL_BOUND_MS} ms`, async (t) => {
    const user = await createUser({ users })
    for (const [ender, other] of [instances, [...instances].reverse()]) {
      if (ender === undefined || other === undefined) throw new Error('two instances expected')
      const session = await logIn(t, ender, user)
      await warm(t, [other, ender], session)
      t.equal((await call(ender, 'POST', '/auth/logout', session.token)).status, 200, `logout on ${ender.name}`)
      await expectRefusedEverywhere(t, [other], [session], performance.now(), `the logout on ${ender.name}`, 'logout')
      await expectEnded(t, ender, session, 'logout')
    }
  })

  t.test('logout-all on one instance is refused on all of them, for every session of the user', async (t) => {
    const [a, b] = instances
    const user = await createUser({ users })
    const sessions = [await logIn(t, a, user), await logIn(t, b, user), await logIn(t, a, user), await logIn(t, b, user)]
    const bystander = await logIn(t, b, await createUser({ users }))
    for (const session of [...sessions, bystander]) await warm(t, instances, session)

    const answer = await call(a, 'POST', '/auth/logout-all', sessions[0]?.token)
    t.same({ status: answer.status, revoked: answer.body.revoked }, { status: 200, revoked: sessions.length }, 'logout-all on A')
    await expectRefusedEverywhere(t, instances, sessions, performance.now(), 'logout-all on A', 'logout_all')
    for (const instance of instances) t.equal((await me(instance, bystander)).status, 200, `another user's session lives on ${instance.name}`)
  })

  t.test('a password change on one instance ends the other sessions everywhere', async (t) => {
    const [a, b] = instances
    const user = await createUser({ users })
    const sessions = [await logIn(t, a, user), await logIn(t, b, user), await logIn(t, a, user)]
    for (const session of sessions) await warm(t, instances, session)

    const answer = await call(b, 'POST', '/auth/password', sessions[1]?.token, { oldPassword: TEST_PASSWORD, newPassword: NEW_PASSWORD })
    t.equal(answer.status, 200, 'password change on B', { body: answer.body })
    await expectRefusedEverywhere(t, instances, sessions, performance.now(), 'the password change on B', 'password_changed')
    const fresh = { token: String(answer.body.token), sessionId: String(answer.body.sessionId) }
    for (const instance of instances) t.equal((await me(instance, fresh)).status, 200, `the new session works on ${instance.name}`)
    t.equal((await call(a, 'POST', '/auth/login', undefined, { account: user.account, password: TEST_PASSWORD })).status, 401,
      'A refuses the old password')
    await logIn(t, a, user, NEW_PASSWORD)
  })

  t.test('activity on B slides the session that A sees', async (t) => {
    const [a, b] = instances
    const user = await createUser({ users })
    // Two sessions of one login moment: one used on B throughout, one left alone.
    const active = await logIn(t, a, user)
    const idle = await logIn(t, a, user)
    for (const session of [active, idle]) t.equal((await me(a, session)).status, 200, 'A serves the new session')

    const activeUntil = performance.now() + SLIDE_ACTIVITY_MS
    while (performance.now() < activeUntil) {
      t.equal((await me(b, active)).status, 200, 'B serves the active session')
      await sleep(SLIDE_EVERY_MS)
    }

    t.equal((await me(a, active)).status, 200, `A serves the session B kept using, ${SLIDE_ACTIVITY_MS} ms after its login with a ${SESSION_TTL_MS} ms TTL`)
    await expectEnded(t, a, idle, 'expired')
  })
}

// One redis-server: the test file's own, or REDIS_URL's under a key prefix of this run's.
const oneRedisServer: RedisSettings = async (): Promise<Record<string, string>> => {
  const given = process.env.REDIS_URL
  if (given === undefined || given === '') return { REDIS_URL: await sharedRedisDatabaseUrl() }
  return { REDIS_URL: given, REDIS_KEY_PREFIX: `test-${randomBytes(6).toString('hex')}:` }
}

const postgresUrl = await reachablePostgresUrl()
// PGlite is one process's database: instances that share their users need PostgreSQL.
const needsPostgres = postgresUrl === undefined ? `several instances need a shared PostgreSQL; none answers at ${POSTGRES_URL}` : false

t.test('one redis-server', { skip: needsPostgres }, async (t) => {
  await instancesBehindABalancer(t, oneRedisServer, postgresUrl ?? POSTGRES_URL)
})

// A Redis Cluster of three masters, the file's own: every instance follows it by REDIS_CLUSTER_NODES.
const redisCluster: RedisSettings = async (t): Promise<Record<string, string>> => {
  const cluster = await RedisCluster.start()
  t.teardown(async () => await cluster.destroy())
  return { REDIS_CLUSTER_NODES: cluster.seedNodes }
}

t.test('a Redis Cluster', { skip: needsPostgres }, async (t) => {
  await instancesBehindABalancer(t, redisCluster, postgresUrl ?? POSTGRES_URL)
})
