import t from 'tap'
import { buildTestApp } from '../helpers/build-app.js'
import { LogCollector } from '../helpers/log-collector.js'
import { createUser } from '../helpers/sessions.js'

const USER_AGENT = 'Marker-Browser/9.9 (a user agent that must not reach the log)'

// ioredis attaches the failed command, with its arguments, to its errors. A session's arguments
// are its account, IP and user agent: the error is logged, they are not.
t.test('a failed Redis command is logged without its arguments', async (t) => {
  const logs = new LogCollector()
  const { app, config } = await buildTestApp(t, { logStream: logs })
  const user = await createUser(app)
  // The login's script then fails with WRONGTYPE: a bug, not an outage, so it is logged in full.
  await app.redis.set(`${config.REDIS_KEY_PREFIX}ACCESS_TOKEN_INDEX:{${user.userId}}`, 'not a sorted set')

  const res = await app.inject({
    method: 'POST',
    url: '/auth/login',
    headers: { 'user-agent': USER_AGENT },
    payload: { account: user.account, password: user.password }
  })
  t.equal(res.statusCode, 500, res.body)

  const logged = logs.lines().find((line) => line.msg === 'unhandled error')
  t.ok(logged, 'the failure is logged')
  t.match(logged, { err: { command: { name: /^eval/, args: '[redacted]' } } }, 'with the command name, its arguments redacted')
  const text = logs.text
  t.notOk(text.includes(USER_AGENT), 'no user agent in the log')
  t.notOk(text.includes(user.account), 'no account in the log')
})
