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
