import t from 'tap'
import { accountDigest } from '../../src/events/session-event.js'
import { buildTestApp } from '../helpers/build-app.js'
import { streamedEvents } from '../helpers/session-events.js'
import { createAndLogIn } from '../helpers/sessions.js'
import { challengeOf, currentCode, enableTotp, secondFactor, TOTP_STEP_MS, totpRemove } from '../helpers/second-factor.js'
import { TestClock } from '../helpers/test-clock.js'

// What the second factor tells: the factor on and off, the password step, the code's failure like
// a failed login, and the session's amr; never a code, a secret or a challenge.
t.test('second-factor events', async (t) => {
  const clock = new TestClock()
  const { app } = await buildTestApp(t, { clock: clock.now, env: { EVENTS_STREAM: 'auth-events' } })
  const session = await createAndLogIn(app)
  const totp = await enableTotp(app, session, clock)
  const challenge = await challengeOf(app, session)
  const wrong = currentCode(totp.secret, clock, 5)
  await secondFactor(app, challenge, wrong)
  const issued = (await secondFactor(app, challenge, currentCode(totp.secret, clock))).json<{ sessionId: string }>()
  clock.advance(TOTP_STEP_MS)
  await totpRemove(app, session.token, currentCode(totp.secret, clock))

  const account = accountDigest(session.account)
  const events = (await streamedEvents(app)).filter((event) => event.userId === session.userId || event.account === account)
  t.match(events.map((event) => [event.type, event.reason]), [
    ['session.created', null],
    ['login.succeeded', null],
    ['second_factor.enabled', null],
    ['login.second_factor_required', null],
    ['login.failed', 'bad_credentials'],
    ['session.created', null],
    ['login.succeeded', null],
    ['second_factor.disabled', null],
    ['session.ended', 'second_factor_changed']
  ])
  t.match(events.filter((event) => event.type === 'session.created').map((event) => event.amr), [['pwd'], ['pwd', 'otp']], 'session.created tells the amr')
  t.match(events.find((event) => event.type === 'session.ended'), { sessionId: issued.sessionId })
  const text = JSON.stringify(events)
  t.notOk(text.includes(totp.secret) || text.includes(challenge) || text.includes(wrong), 'no secret, challenge or code in the events')
})
