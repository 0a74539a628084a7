import t from 'tap'
import { buildTestApp } from '../helpers/build-app.js'
import { streamedEvents, type StreamedEvent } from '../helpers/session-events.js'
import { createUser, logIn } from '../helpers/sessions.js'
import { refresh } from '../helpers/strategies.js'
import { TestClock } from '../helpers/test-clock.js'

// Issue 26: events carry the session's device type. session.ended tells the type of the session
// it ended (read by the script that ended it: the record is gone afterwards), login.failed the
// type a refuse_new cap refused; a session without a type tells null.

const STREAM = { EVENTS_STREAM: 'auth-events' }
const RULES = JSON.stringify({
  phone: { maxSessions: 1, onOverflow: 'end_oldest' },
  tv: { maxSessions: 1, onOverflow: 'refuse_new' }
})
const REUSE_GRACE_SECONDS = 5
const MS_PER_SECOND = 1000

type Told = [type: string, reason: string | null, sessionId: string | null, deviceType: string | null]

// A ban walks the user's index in no set order.
function bySessionId (a: Told, b: Told): number {
  return String(a[2]).localeCompare(String(b[2]))
}

function toldOf (events: readonly StreamedEvent[]): Told[] {
  return events.filter((event) => event.type === 'session.ended' || event.type === 'login.failed')
    .map((event) => [event.type, event.reason, event.sessionId, event.deviceType])
}

t.test('session.ended carries the ended session\'s deviceType (replaced, logout, ban), login.failed the refused one', async (t) => {
  const { app } = await buildTestApp(t, { env: { ...STREAM, SESSION_DEVICE_RULES: RULES } })
  const user = await createUser(app)
  const firstPhone = await logIn(app, user, undefined, { deviceType: 'phone' })
  const secondPhone = await logIn(app, user, undefined, { deviceType: 'phone' })
  const tv = await logIn(app, user, undefined, { deviceType: 'tv' })
  const refusedTv = await app.inject({ method: 'POST', url: '/auth/login', payload: { account: user.account, password: user.password, deviceType: 'tv' } })
  t.equal(refusedTv.statusCode, 409, 'a second tv is refused (1013)')
  const loggedOut = await app.inject({ method: 'POST', url: '/auth/logout', headers: { token: secondPhone.token } })
  t.equal(loggedOut.statusCode, 200)
  const untyped = await logIn(app, user)
  t.equal(await app.sessions.ban(user.userId, { reason: 'spam' }), 2, 'the ban ends the tv and the session without a type')

  const told = toldOf(await streamedEvents(app))
  t.same(told.slice(0, 3), [
    ['session.ended', 'replaced', firstPhone.sessionId, 'phone'],
    ['login.failed', 'device_type_full', null, 'tv'],
    ['session.ended', 'logout', secondPhone.sessionId, 'phone']
  ], 'replaced and logout tell the phone; the refused login the tv it asked for')
  const banned: Told[] = [
    ['session.ended', 'banned', tv.sessionId, 'tv'],
    ['session.ended', 'banned', untyped.sessionId, null]
  ]
  t.same(told.slice(3).sort(bySessionId), banned.sort(bySessionId), 'a ban tells each session\'s type, null for none')
})

t.test('refresh_reused: the ended session\'s deviceType', async (t) => {
  const clock = new TestClock()
  const { app } = await buildTestApp(t, {
    clock: clock.now,
    env: { ...STREAM, SESSION_DEVICE_RULES: RULES, AUTH_STRATEGY: 'refresh', REFRESH_REUSE_GRACE: String(REUSE_GRACE_SECONDS) }
  })
  const login = await logIn(app, await createUser(app), undefined, { deviceType: 'phone' })
  const { refreshToken } = login.response.json<{ refreshToken: string }>()
  const refreshed = async (token: string): Promise<number> => (await refresh(app, token)).statusCode
  t.equal(await refreshed(refreshToken), 200)
  clock.advance((REUSE_GRACE_SECONDS + 1) * MS_PER_SECOND)
  t.equal(await refreshed(refreshToken), 401, 'the rotated token, past its grace')
  t.same(toldOf(await streamedEvents(app)), [['session.ended', 'refresh_reused', login.sessionId, 'phone']])
})
