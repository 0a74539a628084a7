import type { LightMyRequestResponse } from 'fastify'
import t from 'tap'
import { buildTestApp } from '../../helpers/build-app.js'
import { streamedEvents } from '../../helpers/session-events.js'
import { createUser, logIn, me } from '../../helpers/sessions.js'
import { appOptions, forEachStrategy, refresh, refreshTokenOf, SLIDING } from '../../helpers/strategies.js'
import { endAllSessions, endSession, listSessions, SERVICE_KEYS_ENV, startSession, SUPPORT_KEY, type StartedSession } from './service-requests.js'

// A backend lists and ends a user's sessions: those it started and those of this server's own
// logins alike, each ending told with the backend as its actor.

interface SessionList {
  sessions: Array<{ id: string, deviceId: string | null, current: boolean }>
}

t.test('GET lists the sessions as GET /auth/sessions shows them; DELETE of one ends it with reason revoked', async (t) => {
  const { app } = await buildTestApp(t, appOptions(SLIDING, { ...SERVICE_KEYS_ENV, EVENTS_STREAM: 'events' }))
  const user = await createUser(app)
  const laptop = await logIn(app, user, 'laptop')
  const phone = (await startSession(app, { userId: user.userId, deviceId: 'phone' })).json<StartedSession>()

  // The user's own request first: it records the laptop's lastSeenAt, which both lists then show.
  const own = await app.inject({ method: 'GET', url: '/auth/sessions', headers: { token: laptop.token } })
  const listed = await listSessions(app, user.userId, SUPPORT_KEY)
  t.equal(listed.statusCode, 200, listed.body)
  const asUserSees = own.json<SessionList>().sessions.map((session) => ({ ...session, current: false }))
  t.same(listed.json(), { sessions: asUserSees }, 'the same views, none of them current')
  t.same(listed.json<SessionList>().sessions.map((session) => session.deviceId).sort(), ['laptop', 'phone'], 'both logins')

  const ended = await endSession(app, user.userId, phone.sessionId)
  t.equal(ended.statusCode, 200, ended.body)
  t.same(ended.json(), { result: 'success', revoked: 1 })
  t.same((await me(app, phone.token)).json(), { code: 0, errorCode: '1002', info: 'Session has ended (revoked)', reason: 'revoked' },
    'the token answers 1002 revoked')
  t.equal((await me(app, laptop.token)).statusCode, 200, 'the other session lives on')
  t.same((await endSession(app, user.userId, phone.sessionId)).json(), { result: 'success', revoked: 0 }, 'again: nothing to end')
  t.same((await endSession(app, user.userId + 1, laptop.sessionId)).json(), { result: 'success', revoked: 0 },
    "another user's session id names nothing under this user")
  t.equal((await me(app, laptop.token)).statusCode, 200, 'and ends nothing')

  const endings = (await streamedEvents(app)).filter((event) => event.type === 'session.ended')
  t.match(endings, [{ sessionId: phone.sessionId, userId: user.userId, reason: 'revoked', actor: 'service:billing' }], 'told with the backend as actor')
})

t.test('DELETE of all ends every session of the user with the reason given, refresh tokens too', async (t) => {
  forEachStrategy(t, async (t, strategy) => {
    const { app } = await buildTestApp(t, appOptions(strategy, { ...SERVICE_KEYS_ENV, EVENTS_STREAM: 'events' }))
    const user = await createUser(app)
    const other = await createUser(app)
    const login = await logIn(app, user, 'laptop')
    const started = (await startSession(app, { userId: user.userId, deviceId: 'phone' })).json<StartedSession>()
    const bystander = await logIn(app, other, 'laptop')

    const ended = await endAllSessions(app, user.userId, 'password_changed')
    t.equal(ended.statusCode, 200, ended.body)
    t.same(ended.json(), { result: 'success', revoked: 2 })
    for (const token of [login.token, started.token]) {
      t.match((await me(app, token)).json(), { errorCode: '1002', reason: 'password_changed' }, 'each session answers 1002 password_changed')
    }
    if (strategy.refresh) {
      for (const refreshToken of [refreshTokenOf(login.response), started.refreshToken ?? '']) {
        const renewed = await refresh(app, refreshToken)
        t.equal(renewed.statusCode, 401, 'its refresh token renews nothing')
      }
    }
    t.equal((await me(app, bystander.token)).statusCode, 200, "another user's session lives on")
    t.same((await listSessions(app, user.userId)).json(), { sessions: [] }, 'no session is left')

    const endings = (await streamedEvents(app)).filter((event) => event.type === 'session.ended')
    t.same(endings.map((event) => [event.reason, event.actor]), [['password_changed', 'service:billing'], ['password_changed', 'service:billing']],
      'each ending told with the backend as actor')

    const again = (await startSession(app, { userId: user.userId })).json<StartedSession>()
    t.same((await endAllSessions(app, user.userId)).json(), { result: 'success', revoked: 1 }, 'reason revoked unless given')
    t.match((await me(app, again.token)).json(), { errorCode: '1002', reason: 'revoked' })
    t.same((await endAllSessions(app, user.userId, 'logout_all')).json(), { result: 'success', revoked: 0 }, 'none left: 0')
  })
})

t.test('bad ids and reasons: 400 "1400" naming the parameter', async (t) => {
  const { app } = await buildTestApp(t, appOptions(SLIDING, SERVICE_KEYS_ENV))
  const session = (await startSession(app, { userId: 9 })).json<StartedSession>()
  const answers: Array<[Promise<LightMyRequestResponse>, RegExp, string]> = [
    [listSessions(app, 'a%20b'), /params\/userId/, 'a user id with a space'],
    [listSessions(app, 'a.b'), /params\/userId/, 'a user id with a dot'],
    [endAllSessions(app, 'a'.repeat(65)), /params\/userId/, 'a user id of 65 characters'],
    [endSession(app, 9, 'not-a-session-id'), /params\/sessionId/, 'a malformed session id'],
    [endAllSessions(app, 9, 'expired'), /querystring\/reason/, 'a reason no backend gives'],
    [endAllSessions(app, 9, 'admin'), /querystring\/reason/, 'the admin reason, which is for admins']
  ]
  for (const [answer, info, what] of answers) {
    const refused = await answer
    t.equal(refused.statusCode, 400, what)
    t.match(refused.json(), { errorCode: '1400', info }, what)
  }
  t.equal((await me(app, session.token)).statusCode, 200, 'nothing was ended')
})

// A path names the user by its text, so "777" and 777 are one user there: each ended session is
// told under the id it was started with, which its record keeps (docs/events.md).
t.test('sessions ended through a path are told under the user id they were started with', async (t) => {
  const { app } = await buildTestApp(t, appOptions(SLIDING, { ...SERVICE_KEYS_ENV, EVENTS_STREAM: 'events' }))
  const digits = 700_000_000 + Math.floor(Math.random() * 100_000_000)
  const start = async (userId: number | string): Promise<string> => (await startSession(app, { userId })).json<StartedSession>().sessionId
  const [asString, asNumber, second, third] = [await start(String(digits)), await start(digits), await start(String(digits)), await start(digits)]
  t.equal((await endSession(app, String(digits), asString)).statusCode, 200)
  t.equal((await endSession(app, String(digits), asNumber)).statusCode, 200)
  t.equal((await endAllSessions(app, String(digits))).json<{ revoked: number }>().revoked, 2)
  const told = new Map((await streamedEvents(app)).filter((event) => event.type === 'session.ended').map((event) => [event.sessionId, event.userId]))
  t.strictSame([told.get(asString), told.get(second)], [String(digits), String(digits)], 'started as a string: told as the string, one or all')
  t.strictSame([told.get(asNumber), told.get(third)], [digits, digits], 'started as a number: told as the number')
})
