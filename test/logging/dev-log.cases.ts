import t from 'tap'
import { buildTestApp } from '../helpers/build-app.js'
import { LogCollector } from '../helpers/log-collector.js'
import { RedisServer } from '../helpers/redis-server.js'
import { createAndLogIn, TEST_PASSWORD } from '../helpers/sessions.js'

// `npm run dev`'s log (bin/dev-log.ts, through pino-pretty), fed by the real app: one line per
// request, readable warnings, and the same redaction as production's JSON.

const TIME = String.raw`\d\d:\d\d:\d\d\.\d{3}`
const INFO = `${TIME} INFO:`

t.test('one line per request: time, method, URL, status, duration, and the user once known', async (t) => {
  const log = new LogCollector()
  const { app } = await buildTestApp(t, { prettyLogStream: log })
  const session = await createAndLogIn(app)
  const me = await app.inject({ method: 'GET', url: '/auth/me?from=test', headers: { token: session.token, cookie: `session=${session.token}` } })
  t.equal(me.statusCode, 200)
  const anonymous = await app.inject({ method: 'GET', url: '/auth/me' })
  t.equal(anonymous.statusCode, 401)

  const lines = log.text.split('\n').filter((line) => line !== '')
  t.notOk(lines.some((line) => line.startsWith('{')), 'no JSON line')
  t.notOk(lines.some((line) => line.includes('incoming request')), 'no separate "incoming request" line')
  const meLines = lines.filter((line) => line.includes('GET /auth/me'))
  t.equal(meLines.length, 2, 'one line per request')
  t.match(meLines[0], new RegExp(`^${INFO} GET /auth/me\\?from=test 200 \\d+\\.\\d ms user ${session.userId}$`))
  t.match(meLines[1], new RegExp(`^${INFO} GET /auth/me 401 \\d+\\.\\d ms$`), 'no user before the session check accepts one')
  t.match(log.text, new RegExp(`^${INFO} POST /auth/login 200 \\d+\\.\\d ms$`, 'm'), 'the login, whose user is not yet authenticated')
  t.notOk(log.text.includes(session.token), 'the token is never printed')
  t.notOk(log.text.includes(TEST_PASSWORD), 'nor the password')
})

t.test('a warning is a readable line with its error and stack, its secrets redacted', async (t) => {
  const log = new LogCollector()
  const redisServer = await RedisServer.start()
  t.teardown(async () => await redisServer.destroy())
  const { app } = await buildTestApp(t, { prettyLogStream: log, redisServer, env: { NEAR_CACHE: 'off' } })
  const session = await createAndLogIn(app)
  await redisServer.stop()
  const res = await app.inject({ method: 'GET', url: '/auth/me', headers: { token: session.token } })
  t.equal(res.statusCode, 503)
  await redisServer.restart()

  const warning = log.text.split('\n').findIndex((line) => new RegExp(`^${TIME} WARN: .*unavailable`).test(line))
  t.ok(warning >= 0, `a WARN line for the outage in:\n${log.text}`)
  const after = log.text.split('\n').slice(warning + 1)
  t.match(after[0], /^ {4}\S/, 'the error follows, indented')
  const below = after.slice(0, after.findIndex((line) => new RegExp(`^${TIME} `).test(line)))
  t.ok(below.some((line) => /^ {4,}at /.test(line)), `with its stack, one frame a line:\n${below.join('\n')}`)
  t.match(log.text, new RegExp(`^${INFO} GET /auth/me 503 \\d+\\.\\d ms$`, 'm'), 'and the request line')
  t.notOk(log.text.includes(session.token), 'the token is never printed')
})
