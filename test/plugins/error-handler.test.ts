import { Writable } from 'node:stream'
import t from 'tap'
import { buildTestApp } from '../helpers/build-app.js'
import { createAndLogIn, me } from '../helpers/sessions.js'

t.test('an unexpected failure answers 500 "1500": details go to the log, not to the client', async (t) => {
  let log = ''
  const logStream = new Writable({ write (chunk, _encoding, done) { log += String(chunk); done() } })
  const { app } = await buildTestApp(t, { logStream })
  const session = await createAndLogIn(app)
  // A corrupted session key: Redis answers WRONGTYPE, a bug to report, not an outage to wait out.
  await app.redis.set(`ACCESS_TOKEN:{${session.userId}}:${session.sessionId}`, 'not a hash')

  const res = await me(app, session.token)
  t.equal(res.statusCode, 500)
  t.strictSame(res.json(), { code: 0, errorCode: '1500', info: 'Internal server error' })
  t.notMatch(res.body, /WRONGTYPE/, 'the cause is not returned')
  t.match(log, /WRONGTYPE/, 'the cause is logged')
  t.match(log, /"level":50/, 'at error level')
})

t.test('what the router refuses before any route runs has the one error shape too', async (t) => {
  const { app } = await buildTestApp(t)
  const brokenEscape = await app.inject({ method: 'GET', url: '/admin/users/%/sessions' })
  t.equal(brokenEscape.statusCode, 400, 'a broken percent-escape in the path: 400')
  t.match(brokenEscape.json(), { code: 0, errorCode: '1400', info: String }, 'in the error shape')
  const longParam = await app.inject({ method: 'DELETE', url: `/auth/sessions/${'a'.repeat(200)}` })
  t.equal(longParam.statusCode, 414, 'a path parameter past the router\'s limit: 414')
  t.match(longParam.json(), { code: 0, errorCode: '1400', info: String }, 'in the error shape')
})
