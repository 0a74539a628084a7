import t from 'tap'
import { buildTestApp } from './helpers/build-app.js'
import { createAndLogIn, me } from './helpers/sessions.js'

t.test('login then me', async (t) => {
  const { app } = await buildTestApp(t)
  const session = await createAndLogIn(app)
  const res = await me(app, session.token)
  t.equal(res.statusCode, 200, res.body)
  t.same(res.json(), { userId: session.userId, userType: 'user', account: session.account, sessionId: session.sessionId })
})
