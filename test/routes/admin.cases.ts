import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import t from 'tap'
import { buildTestApp } from '../helpers/build-app.js'
import { LogCollector } from '../helpers/log-collector.js'
import { streamedEvents } from '../helpers/session-events.js'
import { createAndLogIn, createUser, logIn, me, type LoggedIn } from '../helpers/sessions.js'
import { appOptions, forEachStrategy, refresh, refreshTokenOf } from '../helpers/strategies.js'

interface Target {
  phone: LoggedIn
  laptop: LoggedIn
}

// A user signed in on two devices; each test gets its own, so tests do not share sessions.
async function targetWithTwoDevices (app: FastifyInstance): Promise<Target> {
  const user = await createUser(app)
  return { phone: await logIn(app, user, 'phone'), laptop: await logIn(app, user, 'laptop') }
}

interface ListedSession {
  id: string
  deviceId: string | null
  ip: string
  loginAt: number
}

// One app per strategy, shared by that strategy's tests.
forEachStrategy(t, async (t, strategy) => {
  const { app } = await buildTestApp(t, appOptions(strategy))
  const admin = await createAndLogIn(app, 'admin', 'admin-desk')

  async function revoke (body: Record<string, unknown>, token = admin.token): Promise<LightMyRequestResponse> {
    return await app.inject({ method: 'POST', url: '/admin/revoke', headers: { token }, payload: body })
  }

  async function listSessions (userId: number, token = admin.token): Promise<LightMyRequestResponse> {
    return await app.inject({ method: 'GET', url: `/admin/users/${userId}/sessions`, headers: { token } })
  }

  t.test('GET /admin/users/:userId/sessions lists every session of the user, never a token', async (t) => {
    const before = Date.now()
    const { phone, laptop } = await targetWithTwoDevices(app)
    const after = Date.now()

    const res = await listSessions(phone.userId)
    t.equal(res.statusCode, 200, res.body)
    const { sessions } = res.json<{ sessions: ListedSession[] }>()
    t.same(sessions.map((s) => [s.deviceId, s.id]).sort(), [['laptop', laptop.sessionId], ['phone', phone.sessionId]],
      'both devices, with their session ids')
    for (const session of sessions) {
      t.equal(session.ip, '127.0.0.1', `${session.deviceId ?? ''}: the ip it logged in from`)
      t.ok(session.loginAt >= before && session.loginAt <= after, `${session.deviceId ?? ''}: loginAt is the login time`)
    }
    t.notOk(res.body.includes(phone.token), 'the phone token is not in the response')
    t.notOk(res.body.includes(laptop.token), 'the laptop token is not in the response')
    if (strategy.refresh) {
      t.notOk(res.body.includes(refreshTokenOf(phone.response)), 'the phone refresh token is not in the response')
      t.notOk(res.body.includes(refreshTokenOf(laptop.response)), 'the laptop refresh token is not in the response')
    }
  })

  t.test('POST /admin/revoke ends one device by userId, then the rest by account in any case', async (t) => {
    const { phone, laptop } = await targetWithTwoDevices(app)

    const byDevice = await revoke({ userId: phone.userId, deviceId: 'phone' })
    t.equal(byDevice.statusCode, 200, byDevice.body)
    t.same(byDevice.json(), { result: 'success', revoked: 1 }, 'one session revoked')

    const phoneAfter = await me(app, phone.token)
    t.equal(phoneAfter.statusCode, 401, 'the phone token is refused')
    t.match(phoneAfter.json(), { errorCode: '1002', reason: 'admin' }, 'ended by an admin')
    t.equal((await me(app, laptop.token)).statusCode, 200, 'the laptop session lives on')
    if (strategy.refresh) {
      const phoneRefresh = await refresh(app, refreshTokenOf(phone.response))
      t.match(phoneRefresh.json(), { errorCode: '1002', reason: 'admin' }, 'the phone refresh token ended with its session')
    }

    const byAccount = await revoke({ account: ` ${laptop.account.toUpperCase()} ` })
    t.equal(byAccount.statusCode, 200, byAccount.body)
    t.same(byAccount.json(), { result: 'success', revoked: 1 }, 'the remaining session revoked')
    const laptopAfter = await me(app, laptop.token)
    t.equal(laptopAfter.statusCode, 401, 'the laptop token is refused')
    t.match(laptopAfter.json(), { errorCode: '1002', reason: 'admin' }, 'ended by an admin')
    if (strategy.refresh) {
      const laptopRefresh = await refresh(app, refreshTokenOf(laptop.response))
      t.match(laptopRefresh.json(), { errorCode: '1002', reason: 'admin' }, 'the laptop refresh token ended with its session')
    }

    t.same((await listSessions(phone.userId)).json(), { sessions: [] }, 'no sessions left')
    t.equal((await me(app, admin.token)).statusCode, 200, "the admin's own session is untouched")
  })

  t.test('POST /admin/revoke of an unknown account is 404 1404', async (t) => {
    const res = await revoke({ account: 'nobody-here@example.com' })
    t.equal(res.statusCode, 404, res.body)
    t.match(res.json(), { errorCode: '1404' }, 'errorCode 1404')
  })

  t.test('POST /admin/revoke must name the user by exactly one of userId or account', async (t) => {
    const { phone, laptop } = await targetWithTwoDevices(app)
    const bodies = [
      { deviceId: 'phone' },
      {},
      { userId: phone.userId, account: phone.account },
      { userId: phone.userId, account: phone.account, deviceId: 'phone' }
    ]
    for (const body of bodies) {
      const res = await revoke(body)
      t.equal(res.statusCode, 400, `${JSON.stringify(body)}: ${res.body}`)
      t.match(res.json(), { errorCode: '1400' }, `${JSON.stringify(body)}: errorCode 1400`)
    }
    t.equal((await me(app, phone.token)).statusCode, 200, 'the phone session was not revoked')
    t.equal((await me(app, laptop.token)).statusCode, 200, 'the laptop session was not revoked')
  })

  t.test('a normal user gets 403 1403 from admin routes, and changes nothing', async (t) => {
    const { phone, laptop } = await targetWithTwoDevices(app)
    const intruder = await createAndLogIn(app)

    const list = await listSessions(phone.userId, intruder.token)
    t.equal(list.statusCode, 403, list.body)
    t.match(list.json(), { errorCode: '1403' }, 'errorCode 1403')
    t.notOk(list.body.includes(phone.sessionId), 'no session ids leak')

    const res = await revoke({ userId: phone.userId }, intruder.token)
    t.equal(res.statusCode, 403, res.body)
    t.match(res.json(), { errorCode: '1403' }, 'errorCode 1403')
    t.equal((await me(app, phone.token)).statusCode, 200, 'the phone session lives on')
    t.equal((await me(app, laptop.token)).statusCode, 200, 'the laptop session lives on')
  })

  t.test('admin routes without a token are 401 1001', async (t) => {
    const list = await app.inject({ method: 'GET', url: `/admin/users/${admin.userId}/sessions` })
    t.equal(list.statusCode, 401, list.body)
    t.match(list.json(), { errorCode: '1001' }, 'errorCode 1001')

    const res = await app.inject({ method: 'POST', url: '/admin/revoke', payload: { userId: admin.userId } })
    t.equal(res.statusCode, 401, res.body)
    t.match(res.json(), { errorCode: '1001' }, 'errorCode 1001')
    t.equal((await me(app, admin.token)).statusCode, 200, 'nothing was revoked')
  })
})

t.test('POST /admin/revoke tells each session it ends as session.ended with the actor admin:<userId>', async (t) => {
  const logs = new LogCollector()
  const { app } = await buildTestApp(t, { logStream: logs, env: { EVENTS_STREAM: 'auth-events' } })
  const admin = await createAndLogIn(app, 'admin', 'admin-desk')
  const { phone, laptop } = await targetWithTwoDevices(app)
  const third = await logIn(app, phone, 'tablet')
  t.equal((await app.inject({ method: 'POST', url: '/auth/logout', headers: { token: laptop.token } })).statusCode, 200)
  const revoked = await app.inject({ method: 'POST', url: '/admin/revoke', headers: { token: admin.token }, payload: { userId: phone.userId } })
  t.same(revoked.json(), { result: 'success', revoked: 2 })

  const ended = (await streamedEvents(app)).filter((event) => event.type === 'session.ended')
  const actor = `admin:${admin.userId}`
  t.same(ended.map((event) => [event.sessionId, event.reason, event.actor]).sort(), [
    [laptop.sessionId, 'logout', null],
    [phone.sessionId, 'admin', actor],
    [third.sessionId, 'admin', actor]
  ].sort(), 'the admin\'s revoke names the admin; the user\'s own logout names no actor')
  t.ok(ended.every((event) => event.userId === phone.userId), 'whose sessions ended')
  const audited = logs.lines<{ logger?: string, type?: string, reason?: string, actor?: string | null }>()
    .filter((line) => line.logger === 'audit' && line.type === 'session.ended' && line.reason === 'admin')
  t.same(audited.map((line) => line.actor), [actor, actor], 'the audit log names the admin too')
  t.equal((await app.inject({ method: 'POST', url: '/auth/login', payload: { account: admin.account, password: 'wrong password here' } })).statusCode, 401)
  const failed = (await streamedEvents(app)).filter((event) => event.type === 'login.failed')
  t.same(failed.map((event) => event.actor), [null], 'an event nobody acted for another in has a null actor')
})
