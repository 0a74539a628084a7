import t from 'tap'
import { buildTestApp } from '../helpers/build-app.js'
import { LogCollector } from '../helpers/log-collector.js'
import { RedisServer } from '../helpers/redis-server.js'
import { createAndLogIn } from '../helpers/sessions.js'

// Above info, a request's logger is made only when the request writes a line (plugins/server-options/lazy-child-logger.ts):
// the lines it writes must be the same as a pino child's, request id included.
for (const level of ['info', 'warn'] as const) {
  t.test(`LOG_LEVEL=${level}: a request's lines carry its request id; info lines only at info`, async (t) => {
    const logs = new LogCollector()
    const redisServer = await RedisServer.start()
    t.teardown(async () => await redisServer.destroy())
    const { app } = await buildTestApp(t, { logStream: logs, redisServer, env: { LOG_LEVEL: level, NEAR_CACHE: 'off' } })
    const session = await createAndLogIn(app)
    await redisServer.stop()
    const res = await app.inject({ method: 'GET', url: '/auth/me', headers: { token: session.token } })
    t.equal(res.statusCode, 503)

    const outage = logs.lines().find((line) => line.level === 40 && typeof line.msg === 'string' && line.msg.includes('unavailable'))
    t.ok(outage, 'the 503 is logged at warn')
    t.type(outage?.reqId, 'string', 'with the request id')
    const incoming = logs.lines().filter((line) => line.msg === 'incoming request')
    if (level === 'info') t.ok(incoming.length >= 2, 'request logging at info')
    else t.equal(incoming.length, 0, 'no request logging above info')
    await redisServer.restart()
  })
}
