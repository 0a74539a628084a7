import t from 'tap'
import { buildTestApp } from '../helpers/build-app.js'
import { POSTGRES_URL, reachablePostgresUrl } from '../helpers/database.js'
import { restartRedisEmpty } from '../helpers/redis-restart.js'
import { RedisServer } from '../helpers/redis-server.js'
import { logInForRefresh, refresh } from '../helpers/strategies.js'
import { createUser, me } from '../helpers/sessions.js'
import { TestClock } from '../helpers/test-clock.js'

// REFRESH_STORE=postgres exists for deployments whose Redis keeps nothing across a restart:
// a valid refresh token must then bring its session back, and an ended session must stay
// ended. The redis-servers here are not persistent, so a restart loses every key.

function sessionKey (login: { userId: number, sessionId: string }): string {
  return `ACCESS_TOKEN:{${login.userId}}:${login.sessionId}`
}

const postgresUrl = await reachablePostgresUrl()
const noPostgres = postgresUrl === undefined ? `no PostgreSQL answers at ${POSTGRES_URL}` : false

t.test('REFRESH_STORE=postgres: after Redis lost everything, a refresh token brings its session back; an ended one stays ended', {
  skip: noPostgres
}, async (t) => {
  const redisServer = await RedisServer.start()
  t.teardown(async () => await redisServer.destroy())
  const { app } = await buildTestApp(t, { redisServer, databaseUrl: postgresUrl, env: { AUTH_STRATEGY: 'refresh', REFRESH_STORE: 'postgres' } })
  const user = await createUser(app)
  const kept = await logInForRefresh(app, user, 'laptop')
  const loggedOut = await logInForRefresh(app, user, 'phone')
  t.equal((await me(app, kept.token)).statusCode, 200, 'the kept session works before the restart')
  const logout = await app.inject({ method: 'POST', url: '/auth/logout', headers: { token: loggedOut.token } })
  t.equal(logout.statusCode, 200, 'the second session logs out before the restart')

  await restartRedisEmpty(t, app, redisServer)

  const gone = await me(app, kept.token)
  t.equal(gone.statusCode, 401, 'the access token finds no session')
  t.equal(gone.json().errorCode, '1003', 'the client is told to refresh, not to log in again: a refresh can restore the session')

  const refreshed = await refresh(app, kept.refreshToken)
  t.equal(refreshed.statusCode, 200, `the refresh token still works (${refreshed.body})`)
  const body = refreshed.json<{ token: string, refreshToken: string, sessionId: string, userId: number }>()
  t.equal(body.sessionId, kept.sessionId, 'the same session comes back')
  t.equal(body.userId, kept.userId)
  t.not(body.refreshToken, kept.refreshToken, 'with a rotated refresh token')
  const meAgain = await me(app, body.token)
  t.equal(meAgain.statusCode, 200, 'the new access token works')
  t.equal(await app.redis.exists(sessionKey(kept)), 1, 'the session is back in Redis')

  const listed = await app.inject({ method: 'GET', url: '/auth/sessions', headers: { token: body.token } })
  t.equal(listed.statusCode, 200)
  const ids = listed.json<{ sessions: Array<{ id: string, current: boolean, deviceId: string | null }> }>().sessions
  t.same(ids.map((session) => [session.id, session.current, session.deviceId]), [[kept.sessionId, true, 'laptop']],
    'GET /auth/sessions lists the revived session (with its device), and only it')

  const ended = await refresh(app, loggedOut.refreshToken)
  t.equal(ended.statusCode, 401, 'the logged-out session cannot be refreshed back')
  t.equal(ended.json().errorCode, '1002')
  t.equal(ended.json().reason, 'logout', 'PostgreSQL remembers why it ended')
  t.equal(await app.redis.exists(sessionKey(loggedOut)), 0, 'and it is not re-created in Redis')
  const listedAfter = await app.inject({ method: 'GET', url: '/auth/sessions', headers: { token: body.token } })
  t.same(listedAfter.json<{ sessions: Array<{ id: string }> }>().sessions.map((session) => session.id), [kept.sessionId],
    'still only the revived session is listed')
})

t.test('REFRESH_STORE=redis: the same restart loses the refresh tokens: 401 1004', async (t) => {
  const redisServer = await RedisServer.start()
  t.teardown(async () => await redisServer.destroy())
  const { app } = await buildTestApp(t, { redisServer, databaseUrl: postgresUrl, env: { AUTH_STRATEGY: 'refresh', REFRESH_STORE: 'redis' } })
  const login = await logInForRefresh(app, await createUser(app), 'laptop')
  t.equal((await refresh(app, login.refreshToken)).statusCode, 200, 'a refresh works before the restart')
  const current = await logInForRefresh(app, await createUser(app), 'laptop')

  await restartRedisEmpty(t, app, redisServer)

  const res = await refresh(app, current.refreshToken)
  t.equal(res.statusCode, 401, res.body)
  t.equal(res.json().errorCode, '1004', 'the refresh token is unknown now')
  t.equal((await me(app, current.token)).json().errorCode, '1002', 'and its access token finds no session')
})

for (const store of ['postgres', 'redis'] as const) {
  t.test(`REFRESH_STORE=${store}: while Redis is down a refresh answers 503 1503, never 1002/1004`, {
    skip: store === 'postgres' ? noPostgres : false
  }, async (t) => {
    const redisServer = await RedisServer.start()
    t.teardown(async () => await redisServer.destroy())
    const clock = new TestClock()
    const { app } = await buildTestApp(t, {
      redisServer,
      databaseUrl: postgresUrl,
      env: { AUTH_STRATEGY: 'refresh', REFRESH_STORE: store, REFRESH_REUSE_GRACE: '1' },
      clock: clock.now
    })
    const login = await logInForRefresh(app, await createUser(app), 'laptop')

    await redisServer.stop()
    try {
      for (let attempt = 1; attempt <= 3; attempt++) {
        const res = await refresh(app, login.refreshToken)
        t.equal(res.statusCode, 503, `attempt ${attempt}: 503 (${res.body})`)
        t.equal(res.json().errorCode, '1503', `attempt ${attempt}: errorCode 1503`)
        t.equal(res.headers['set-cookie'], undefined, `attempt ${attempt}: the cookies are not cleared`)
      }
    } finally {
      // Started again in any case, so the app's later requests find a Redis.
      await restartRedisEmpty(t, app, redisServer)
    }
    if (store === 'redis') return

    // PostgreSQL still holds the token: with Redis back (empty), past the reuse grace window,
    // the same token must refresh, since none of the failed attempts rotated it.
    clock.advance(1001)
    const res = await refresh(app, login.refreshToken)
    t.equal(res.statusCode, 200, `the token the outage did not rotate still refreshes (${res.body})`)
  })
}
