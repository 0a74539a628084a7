import t from 'tap'
import { buildTestApp } from '../helpers/build-app.js'
import { streamedEvents } from '../helpers/session-events.js'
import { createAndLogIn, createUser, logIn, me } from '../helpers/sessions.js'
import { appOptions, forEachStrategy, refresh, refreshTokenOf, SLIDING } from '../helpers/strategies.js'
import { banByAdmin, banOf, isoIn, tryLogIn, unbanByAdmin } from './ban-requests.js'

const HOUR_MS = 60 * 60 * 1000

// An admin bans a user of this server: every session ends (reason banned), refresh tokens too,
// and the password opens nothing (403 1011) until the ban is lifted.
t.test('POST /admin/users/:userId/ban ends every session, refuses login and refresh with 1011; DELETE lifts it', async (t) => {
  forEachStrategy(t, async (t, strategy) => {
    const { app } = await buildTestApp(t, appOptions(strategy, { EVENTS_STREAM: 'events' }))
    const admin = await createAndLogIn(app, 'admin', 'desk')
    const user = await createUser(app)
    const phone = await logIn(app, user, 'phone')
    const laptop = await logIn(app, user, 'laptop')
    const bystander = await createAndLogIn(app)
    const until = isoIn(HOUR_MS)

    const banned = await banByAdmin(app, admin.token, user.userId, { reason: 'chargeback fraud', until })
    t.equal(banned.statusCode, 200, banned.body)
    t.same(banned.json(), { result: 'success', revoked: 2 }, 'both sessions ended')
    for (const session of [phone, laptop]) {
      t.same((await me(app, session.token)).json(), { code: 0, errorCode: '1002', info: 'Session has ended (banned)', reason: 'banned' },
        `the ${session.sessionId === phone.sessionId ? 'phone' : 'laptop'} answers 1002 banned`)
    }
    t.equal((await me(app, bystander.token)).statusCode, 200, "another user's session lives on")

    const login = await tryLogIn(app, user)
    t.equal(login.statusCode, 403, 'the right password is refused')
    t.same(login.json(), { code: 0, errorCode: '1011', info: 'This account is disabled', reason: 'banned', until }, '1011 banned, with until')
    t.equal(login.headers['set-cookie'], undefined, 'no cookie is set')
    const wrong = await app.inject({ method: 'POST', url: '/auth/login', payload: { account: user.account, password: 'not the password' } })
    t.equal(wrong.json<{ errorCode: string }>().errorCode, '1010', 'a wrong password is told only that it is wrong')
    if (strategy.refresh) {
      const refreshed = await refresh(app, refreshTokenOf(phone.response))
      t.equal(refreshed.statusCode, 403, 'the refresh token is refused')
      t.same(refreshed.json(), { code: 0, errorCode: '1011', info: 'This account is disabled', reason: 'banned', until })
    }

    const shown = await banOf(app, admin.token, user.userId)
    t.match(shown.json(), { banned: true, reason: 'chargeback fraud', until, actor: `admin:${admin.userId}` }, 'GET shows the ban')
    t.same((await banOf(app, admin.token, bystander.userId)).json(), { banned: false }, 'and no ban for another user')

    const lifted = await unbanByAdmin(app, admin.token, user.userId)
    t.same(lifted.json(), { result: 'success', lifted: true }, 'DELETE lifts the ban')
    t.same((await unbanByAdmin(app, admin.token, user.userId)).json(), { result: 'success', lifted: false }, 'again: there was none')
    t.same((await banOf(app, admin.token, user.userId)).json(), { banned: false })
    t.equal((await tryLogIn(app, user)).statusCode, 200, 'the user signs in again')
    t.equal((await me(app, phone.token)).statusCode, 401, 'the sessions the ban ended stay ended')
    if (strategy.refresh) t.equal((await refresh(app, refreshTokenOf(phone.response))).statusCode, 401, 'and their refresh tokens: 1002, no longer 1011')

    const allEvents = await streamedEvents(app)
    const events = allEvents.filter((event) => event.userId === user.userId)
    const actor = `admin:${admin.userId}`
    t.match(events.filter((event) => event.type === 'user.banned'), [{ reason: 'chargeback fraud', actor, ip: '127.0.0.1' }], 'user.banned with the reason and the admin')
    t.match(events.filter((event) => event.type === 'user.unbanned'), [{ reason: null, actor }], 'user.unbanned once: the second DELETE lifted nothing')
    t.same(events.filter((event) => event.type === 'session.ended').map((event) => [event.sessionId, event.reason, event.actor]).sort(),
      [[phone.sessionId, 'banned', actor], [laptop.sessionId, 'banned', actor]].sort(), 'session.ended banned for each session')
    // A login names no user id, only the account's digest; this user's are the app's only failures.
    t.match(allEvents.filter((event) => event.type === 'login.failed'), [{ reason: 'banned' }, { reason: 'bad_credentials' }], 'the refused login is told as login.failed banned')
  })
})

t.test('a ban without until lasts until lifted; a new ban replaces the old one', async (t) => {
  const { app } = await buildTestApp(t, appOptions(SLIDING))
  const admin = await createAndLogIn(app, 'admin')
  const user = await createUser(app)
  await banByAdmin(app, admin.token, user.userId, { reason: 'first', until: isoIn(HOUR_MS) })
  const replaced = await banByAdmin(app, admin.token, user.userId, { reason: 'second' })
  t.same(replaced.json(), { result: 'success', revoked: 0 }, 'no sessions left to end')
  const login = await tryLogIn(app, user)
  t.same(login.json(), { code: 0, errorCode: '1011', info: 'This account is disabled', reason: 'banned' }, 'no until')
  t.match((await banOf(app, admin.token, user.userId)).json(), { banned: true, reason: 'second' })
  t.notOk('until' in (await banOf(app, admin.token, user.userId)).json(), 'no until shown')
  t.equal(await app.redis.pttl(`${app.config.REDIS_KEY_PREFIX}ACCESS_TOKEN_BAN:{${user.userId}}`), -1, 'the key lost the first ban\'s TTL')
})

t.test('any user id can be banned: an app\'s own user, whose next app.sessions.start is refused', async (t) => {
  const { app } = await buildTestApp(t, appOptions(SLIDING))
  const admin = await createAndLogIn(app, 'admin')
  const started = await app.sessions.start({ userId: 'usr_42', account: 'ada' })
  const banned = await banByAdmin(app, admin.token, 'usr_42', { reason: 'abuse' })
  t.same(banned.json(), { result: 'success', revoked: 1 })
  t.match((await me(app, started.token)).json(), { errorCode: '1002', reason: 'banned' })
  const refused = await app.sessions.start({ userId: 'usr_42' }).then(() => undefined, (error: unknown) => error)
  t.match(refused, { statusCode: 403, code: 'AUTH_1011', reason: 'banned' }, 'start throws 1011')
  t.notOk(typeof refused === 'object' && refused !== null && 'until' in refused, 'without until')
  // Digits name the same user whichever kind: 42 and "42".
  await app.sessions.start({ userId: '42' })
  t.same((await banByAdmin(app, admin.token, 42, { reason: 'abuse' })).json(), { result: 'success', revoked: 1 }, 'the path 42 names the session of "42"')
  t.equal((await app.sessions.findBan(42)).banned, true)
  t.equal((await app.sessions.findBan('42')).banned, true, 'and "42" is the same banned user')
})

t.test('the admin routes refuse a bad ban, and anyone but an admin', async (t) => {
  const { app } = await buildTestApp(t, appOptions(SLIDING))
  const admin = await createAndLogIn(app, 'admin')
  const user = await createAndLogIn(app)
  const refusals: Array<[Record<string, unknown>, RegExp]> = [
    [{}, /reason/],
    [{ reason: '' }, /reason/],
    [{ reason: 'x'.repeat(201) }, /reason/],
    [{ reason: 'line\nbreak' }, /reason/],
    [{ reason: 'spam', until: 'tomorrow' }, /until/],
    [{ reason: 'spam', until: isoIn(-1000) }, /until must be a time in the future/]
  ]
  for (const [body, message] of refusals) {
    const res = await banByAdmin(app, admin.token, user.userId, body)
    t.equal(res.statusCode, 400, `${JSON.stringify(body)}: 400`)
    t.match(res.json(), { errorCode: '1400', info: message })
  }
  t.equal((await banByAdmin(app, admin.token, 'a b', { reason: 'spam' })).statusCode, 400, 'a user id of neither kind')
  t.equal((await me(app, user.token)).statusCode, 200, 'no refused ban ended a session')
  const byUser = await banByAdmin(app, user.token, admin.userId, { reason: 'coup' })
  t.equal(byUser.statusCode, 403, 'a user cannot ban')
  t.equal((await unbanByAdmin(app, user.token, user.userId)).statusCode, 403, 'nor lift a ban')
  t.equal((await banOf(app, user.token, user.userId)).statusCode, 403, 'nor see one')
  t.equal((await me(app, admin.token)).statusCode, 200, 'the admin is not banned')
})
