import t from 'tap'
import { buildTestApp } from '../helpers/build-app.js'
import { createAndLogIn, me } from '../helpers/sessions.js'

// How a session was proven: ["pwd"] derived, not stored, for the common password login; what
// app.sessions.start is told otherwise; shown by /auth/me, request.user, the list and session.created.
t.test('amr of sessions the app starts, and of the password login', async (t) => {
  const { app, config } = await buildTestApp(t)
  const sessionKey = (userId: number | string, sessionId: string): string => `${config.REDIS_KEY_PREFIX}ACCESS_TOKEN:{${userId}}:${sessionId}`

  const login = await createAndLogIn(app)
  t.same((await me(app, login.token)).json<{ amr: string[] }>().amr, ['pwd'])
  t.notOk(await app.redis.hexists(sessionKey(login.userId, login.sessionId), 'm'), 'a password login stores no amr field')

  const told = await app.sessions.start({ userId: 'ext-1', authMethod: 'phone_code', amr: ['sms'] })
  t.same((await me(app, told.token)).json<{ amr: string[] }>().amr, ['sms'], 'what start was told')
  t.equal(await app.redis.hget(sessionKey('ext-1', told.sessionId), 'm'), 'sms', 'stored in one short field')
  t.match(await app.sessions.list('ext-1'), [{ id: told.sessionId, amr: ['sms'] }], 'the session list')

  const password = await app.sessions.start({ userId: 'ext-2', authMethod: 'password' })
  t.same((await me(app, password.token)).json<{ amr: string[] }>().amr, ['pwd'], "authMethod 'password' without amr: pwd")
  const unknown = await app.sessions.start({ userId: 'ext-3' })
  t.same((await me(app, unknown.token)).json<{ amr: string[] }>().amr, [], 'nothing told: none')

  for (const amr of [['PWD'], ['a'.repeat(17)], Array.from({ length: 9 }, () => 'otp'), 'pwd']) {
    // @ts-expect-error plain JavaScript callers may pass anything
    await t.rejects(app.sessions.start({ userId: 'ext-4', amr }), { message: /amr must be a list/ }, JSON.stringify(amr))
  }
})
