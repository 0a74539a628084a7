import t from 'tap'
import { buildTestApp } from '../helpers/build-app.js'
import { streamedEvents } from '../helpers/session-events.js'
import { me } from '../helpers/sessions.js'
import { appOptions, forEachStrategy, refresh } from '../helpers/strategies.js'
import { banUser, SERVICE_KEYS_ENV, startSession, unbanUser, type StartedSession } from '../routes/service/service-requests.js'
import { isoIn } from './ban-requests.js'

const HOUR_MS = 60 * 60 * 1000

// A backend with its own users bans one of them over HTTP (scope users:ban): the sessions it
// started end, POST /service/sessions answers 1011 until the backend lifts the ban.
t.test('PUT /service/users/:userId/ban ends the sessions and refuses new ones with 1011; DELETE lifts it', async (t) => {
  forEachStrategy(t, async (t, strategy) => {
    const { app } = await buildTestApp(t, appOptions(strategy, { ...SERVICE_KEYS_ENV, EVENTS_STREAM: 'events' }))
    const userId = 'c0ffee-4242'
    const started = (await startSession(app, { userId, deviceId: 'phone' })).json<StartedSession>()
    const until = isoIn(HOUR_MS)

    const banned = await banUser(app, userId, { reason: 'terms of service', until })
    t.equal(banned.statusCode, 200, banned.body)
    t.same(banned.json(), { result: 'success', revoked: 1 })
    t.match((await me(app, started.token)).json(), { errorCode: '1002', reason: 'banned' }, 'the session answers 1002 banned')
    const refused = await startSession(app, { userId })
    t.equal(refused.statusCode, 403)
    t.same(refused.json(), { code: 0, errorCode: '1011', info: 'This account is disabled', reason: 'banned', until }, 'a new session: 1011 with until')
    if (strategy.refresh) {
      t.match((await refresh(app, started.refreshToken ?? '')).json(), { errorCode: '1011', reason: 'banned', until }, 'a refresh: 1011')
    }
    t.equal((await banUser(app, userId, { reason: 'x', until: isoIn(-1) })).statusCode, 400, 'an until in the past is refused')

    t.same((await unbanUser(app, userId)).json(), { result: 'success', lifted: true })
    t.same((await unbanUser(app, userId)).json(), { result: 'success', lifted: false }, 'nothing left to lift')
    t.equal((await startSession(app, { userId })).statusCode, 201, 'sessions start again')

    const events = (await streamedEvents(app)).filter((event) => event.type.startsWith('user.'))
    t.match(events, [
      { type: 'user.banned', userId, reason: 'terms of service', actor: 'service:moderation' },
      { type: 'user.unbanned', userId, actor: 'service:moderation' }
    ], 'told with the backend as actor')
  })
})
