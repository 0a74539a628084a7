import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import { digestOf } from '../../src/refresh/refresh-token.js'
import { buildTestApp } from '../helpers/build-app.js'
import { POSTGRES_URL, reachablePostgresUrl } from '../helpers/database.js'
import { restartRedisEmpty } from '../helpers/redis-restart.js'
import { RedisServer } from '../helpers/redis-server.js'
import { logInForRefresh, refresh, refreshTokenOf, type RefreshLogin } from '../helpers/strategies.js'
import { createUser, me, TEST_PASSWORD } from '../helpers/sessions.js'
import { TestClock } from '../helpers/test-clock.js'

// With REFRESH_STORE=postgres, an ended session must stay ended in PostgreSQL, not only behind
// a Redis tombstone. The race: an ending whose UPDATE of refresh_tokens waits on a rotation's
// row lock updates only the rows it saw when it began, and misses the successor that rotation
// inserts. Ending in PostgreSQL again after Redis catches that successor, unless the client has
// already rotated it in turn, before the tombstone, in a transaction that commits only after
// the second UPDATE began. That last token stays live, and once Redis has lost its data (a
// non-persistent restart) it brings the ended session back. Each round ends a session while its
// refresh token is rotated over and over; then Redis restarts empty, and no token handed out for
// an ended session may refresh.

const ROUNDS = 30
// The chain refreshes once before the ending is sent, then keeps going while the ending runs.
const END_AT_STEP = 1
const MAX_CHAIN_STEPS = 40
// The ending is sent 0, 3, 6 … 27 ms after that step's refresh: across the rounds it meets a
// rotation at every point, from its first query to its commit.
const END_DELAY_STEP_MS = 3
const END_DELAY_SPAN_MS = 30
// How much longer each commit that writes refresh_tokens takes (see slowCommits).
const COMMIT_DELAY_SECONDS = 0.01
const REUSE_FAMILIES = 20
const REUSE_GRACE_SECONDS = 1
const PLENTY = '1000000'
// The families log in at once: room for every login's argon2 check in the instance's bound.
const HASH_SLOTS_FOR_EVERY_FAMILY = String(REUSE_FAMILIES)

// A password change ends sessions twice (before and after storing the new hash), which covers
// this race even without the lock; the other two endings depend on it.
const ENDINGS = ['password', 'logout_all', 'logout'] as const
type Ending = typeof ENDINGS[number]

interface RoundResult {
  // Whether the ending was sent while a refresh was under way.
  overlapped: boolean
  // Families that must be over, and every refresh token handed out for them (oldest first).
  ended: Array<{ userId: number, sessionId: string, refreshTokens: string[] }>
  // Refresh tokens of sessions that were not ended: they must still work after the restart.
  alive: string[]
}

// Rotates the session's refresh token again and again, like a client (or a thief) that keeps
// refreshing while its access token works. It stops as soon as the access token is refused: a
// refresh after the session's Redis tombstone revokes the whole family in PostgreSQL, which
// would cover up a successor the ending missed. `atStep` runs as each refresh is sent.
async function rotateWhileAlive (
  app: FastifyInstance, login: RefreshLogin, chain: { refreshing: boolean }, atStep: (step: number) => void
): Promise<string[]> {
  const handedOut: string[] = []
  let current = login.refreshToken
  for (let step = 0; step < MAX_CHAIN_STEPS; step++) {
    if ((await me(app, login.token)).statusCode !== 200) break
    chain.refreshing = true
    const request = refresh(app, current)
    atStep(step)
    const res = await request
    chain.refreshing = false
    if (res.statusCode !== 200) break
    current = refreshTokenOf(res)
    handedOut.push(current)
  }
  return handedOut
}

async function end (app: FastifyInstance, ending: Ending, victim: RefreshLogin, other: RefreshLogin): Promise<LightMyRequestResponse> {
  if (ending === 'password') {
    return await app.inject({
      method: 'POST',
      url: '/auth/password',
      headers: { token: other.token },
      payload: { oldPassword: TEST_PASSWORD, newPassword: TEST_PASSWORD }
    })
  }
  if (ending === 'logout_all') return await app.inject({ method: 'POST', url: '/auth/logout-all', headers: { token: other.token } })
  return await app.inject({ method: 'POST', url: '/auth/logout', headers: { token: victim.token } })
}

// One user, two sessions; the victim's refresh token rotates while the session ends.
async function playRound (t: Test, app: FastifyInstance, round: number): Promise<RoundResult> {
  const kind: Ending = ENDINGS[round % ENDINGS.length] ?? 'password'
  const user = await createUser(app)
  const victim = await logInForRefresh(app, user, 'phone')
  const other = await logInForRefresh(app, user, 'laptop')
  const delayMs = Math.floor(round / ENDINGS.length) * END_DELAY_STEP_MS % END_DELAY_SPAN_MS
  let ending: Promise<LightMyRequestResponse> | undefined
  const chain = { refreshing: false }
  let overlapped = false
  const handedOut = await rotateWhileAlive(app, victim, chain, (step) => {
    if (step !== END_AT_STEP) return
    ending = sleep(delayMs).then(async () => {
      overlapped = chain.refreshing
      return await end(app, kind, victim, other)
    })
  })
  if (ending === undefined) throw new Error(`round ${round}: the chain stopped before the session was ended`)
  const endResponse = await ending
  t.equal(endResponse.statusCode, 200, `round ${round}: ${kind} succeeds`, { body: endResponse.body })

  const victimTokens = { userId: victim.userId, sessionId: victim.sessionId, refreshTokens: [victim.refreshToken, ...handedOut] }
  const otherTokens = { userId: other.userId, sessionId: other.sessionId, refreshTokens: [other.refreshToken] }
  switch (kind) {
    case 'password':
      return { overlapped, ended: [victimTokens, otherTokens], alive: [refreshTokenOf(endResponse)] }
    case 'logout_all':
      return { overlapped, ended: [victimTokens, otherTokens], alive: [] }
    case 'logout':
      return { overlapped, ended: [victimTokens], alive: [other.refreshToken] }
  }
}

// A commit that writes refresh_tokens takes COMMIT_DELAY_SECONDS longer, as with a slow disk or a
// synchronous standby: the transaction stays in progress, its row locks held, while PostgreSQL
// runs the deferred trigger at COMMIT. On a fast local server the race needs commits of a few
// milliseconds to show up; the lock must hold whatever the commits cost.
async function slowCommits (app: FastifyInstance): Promise<void> {
  await app.db.query(`CREATE FUNCTION slow_commit () RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF current_setting('revoke_race.slowed', true) IS DISTINCT FROM 'yes' THEN
        PERFORM set_config('revoke_race.slowed', 'yes', true);
        PERFORM pg_sleep(${COMMIT_DELAY_SECONDS});
      END IF;
      RETURN NULL;
    END $$`)
  await app.db.query(`CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT OR UPDATE ON refresh_tokens
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION slow_commit()`)
}

const postgresUrl = await reachablePostgresUrl()

t.test('REFRESH_STORE=postgres: a session ended while its refresh token rotates stays ended after Redis loses its data', {
  skip: postgresUrl === undefined ? `no PostgreSQL answers at ${POSTGRES_URL}` : false
}, async (t) => {
  const redisServer = await RedisServer.start()
  t.teardown(async () => await redisServer.destroy())
  const { app } = await buildTestApp(t, {
    redisServer,
    databaseUrl: postgresUrl,
    env: {
      AUTH_STRATEGY: 'refresh',
      REFRESH_STORE: 'postgres',
      // Every refresh here is deliberate: none may be refused by a rate limit.
      RATE_LIMIT_REFRESH_SESSION: PLENTY,
      RATE_LIMIT_REFRESH_IP: PLENTY,
      RATE_LIMIT_LOGIN_ACCOUNT: PLENTY,
      RATE_LIMIT_LOGIN_ACCOUNT_IP: PLENTY,
      RATE_LIMIT_LOGIN_IP: PLENTY,
      PASSWORD_HASH_CONCURRENCY: HASH_SLOTS_FOR_EVERY_FAMILY
    }
  })

  await slowCommits(app)
  const results: RoundResult[] = []
  for (let round = 0; round < ROUNDS; round++) results.push(await playRound(t, app, round))
  await app.db.query('DROP TRIGGER slow_commit ON refresh_tokens')
  const endedFamilies = results.flatMap((result) => result.ended)
  const overlapping = results.filter((result) => result.overlapped).length
  t.ok(overlapping >= ROUNDS / 2, `in most rounds the ending met a refresh under way (${overlapping} of ${ROUNDS})`)

  const live = await app.db.query<{ family: string }>(
    'SELECT family FROM refresh_tokens WHERE family = ANY($1) AND revoked_at IS NULL',
    [endedFamilies.map((family) => family.sessionId)]
  )
  t.same(live, [], 'PostgreSQL holds no unrevoked refresh token of an ended session')
  const handedOut = endedFamilies.flatMap((family) => family.refreshTokens.map(digestOf))
  const stored = await app.db.query<{ digest: string }>('SELECT digest FROM refresh_tokens WHERE digest = ANY($1)', [handedOut])
  t.equal(stored.length, handedOut.length, 'and every refresh token handed out for those sessions is a row there')

  await restartRedisEmpty(t, app, redisServer)

  // Newest first: an older token tried first would look like a reuse and revoke a live successor.
  const revived: string[] = []
  for (const family of endedFamilies) {
    for (const token of [...family.refreshTokens].reverse()) {
      const res = await refresh(app, token)
      if (res.statusCode !== 401 || res.json().errorCode !== '1002') revived.push(`${family.sessionId}: ${res.statusCode} ${res.body}`)
    }
  }
  t.same(revived, [], 'every refresh token handed out for an ended session answers 401 1002')
  const keys = endedFamilies.map((family) => `ACCESS_TOKEN:{${family.userId}}:${family.sessionId}`)
  t.equal(await app.redis.exists(...keys), 0, 'no ended session was re-created in Redis')

  for (const token of results.flatMap((result) => result.alive)) {
    const res = await refresh(app, token)
    t.equal(res.statusCode, 200, 'a session that was not ended still refreshes', { body: res.body })
  }
})

// The same race inside a rotation: a retired refresh token presented after REFRESH_REUSE_GRACE
// revokes its family, while the holder of the current token rotates it. The family must end
// with every row revoked, the successor that rotation inserts included.
t.test('REFRESH_STORE=postgres: a reuse detected while the current token rotates ends the family, successor included', {
  skip: postgresUrl === undefined ? `no PostgreSQL answers at ${POSTGRES_URL}` : false
}, async (t) => {
  const redisServer = await RedisServer.start()
  t.teardown(async () => await redisServer.destroy())
  const clock = new TestClock()
  const { app } = await buildTestApp(t, {
    redisServer,
    databaseUrl: postgresUrl,
    env: {
      AUTH_STRATEGY: 'refresh',
      REFRESH_STORE: 'postgres',
      REFRESH_REUSE_GRACE: String(REUSE_GRACE_SECONDS),
      RATE_LIMIT_REFRESH_SESSION: PLENTY,
      RATE_LIMIT_REFRESH_IP: PLENTY,
      RATE_LIMIT_LOGIN_ACCOUNT: PLENTY,
      RATE_LIMIT_LOGIN_ACCOUNT_IP: PLENTY,
      RATE_LIMIT_LOGIN_IP: PLENTY,
      PASSWORD_HASH_CONCURRENCY: HASH_SLOTS_FOR_EVERY_FAMILY
    },
    clock: clock.now
  })
  const families = await Promise.all(Array.from({ length: REUSE_FAMILIES }, async () => {
    const login = await logInForRefresh(app, await createUser(app), 'phone')
    const first = await refresh(app, login.refreshToken)
    if (first.statusCode !== 200) throw new Error(`the first refresh failed: ${first.body}`)
    return { userId: login.userId, sessionId: login.sessionId, retired: login.refreshToken, current: refreshTokenOf(first) }
  }))
  clock.advance(REUSE_GRACE_SECONDS * 1000 + 1)

  // Both at once: the holder of the current token refreshes, the retired token comes back.
  const raced = await Promise.all(families.map(async (family) => {
    const [rotation, reuse] = await Promise.all([refresh(app, family.current), refresh(app, family.retired)])
    const handedOut = rotation.statusCode === 200 ? [refreshTokenOf(rotation)] : []
    return { ...family, reuse, refreshTokens: [family.retired, family.current, ...handedOut] }
  }))
  t.same(raced.map((family) => [family.reuse.statusCode, family.reuse.json().errorCode]), raced.map(() => [401, '1004']),
    'every retired token is refused as reused')
  t.ok(raced.some((family) => family.refreshTokens.length === 3), 'some rotations went through before the reuse ended their family')

  const live = await app.db.query<{ family: string }>(
    'SELECT family FROM refresh_tokens WHERE family = ANY($1) AND revoked_at IS NULL',
    [raced.map((family) => family.sessionId)]
  )
  t.same(live, [], 'PostgreSQL holds no unrevoked refresh token of a family ended by a reuse')

  await restartRedisEmpty(t, app, redisServer)

  const revived: string[] = []
  for (const family of raced) {
    for (const token of [...family.refreshTokens].reverse()) {
      const res = await refresh(app, token)
      if (res.statusCode !== 401) revived.push(`${family.sessionId}: ${res.statusCode}`)
    }
  }
  t.same(revived, [], 'no refresh token of those families refreshes after Redis lost its data')
  const keys = raced.map((family) => `ACCESS_TOKEN:{${family.userId}}:${family.sessionId}`)
  t.equal(await app.redis.exists(...keys), 0, 'and none of those sessions is re-created in Redis')
})
