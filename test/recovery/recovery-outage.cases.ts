import t from 'tap'
import { buildTestApp } from '../helpers/build-app.js'
import { RedisServer } from '../helpers/redis-server.js'
import { createUser } from '../helpers/sessions.js'
import { startWebhookReceiver, waitFor } from '../helpers/webhook-receiver.js'
import { forgot, reset, resetTokenFor, webhookDeliveryEnv } from './recovery-requests.js'

// Redis down: both routes answer 503 "1503" (never 202 for a link that was not stored, never
// 1014 for a link that may be good), and the link still works once Redis is back.

t.test('Redis killed: forgot and reset answer 503 1503; the link works after the restart', async (t) => {
  const redisServer = await RedisServer.start({ persistent: true })
  t.teardown(async () => await redisServer.destroy())
  const receiver = await startWebhookReceiver(t)
  const { app } = await buildTestApp(t, { env: webhookDeliveryEnv(receiver), redisServer })
  const user = await createUser(app)
  const token = await resetTokenFor(app, receiver, user.account)

  await redisServer.stop()
  const asked = await forgot(app, user.account)
  t.equal(asked.statusCode, 503, asked.body)
  t.match(asked.json(), { errorCode: '1503' })
  const used = await reset(app, token)
  t.equal(used.statusCode, 503, used.body)
  t.match(used.json(), { errorCode: '1503' })

  await redisServer.restart()
  await waitFor(async () => (await app.inject({ method: 'GET', url: '/ready' })).statusCode === 200, 'Redis back')
  t.equal((await reset(app, token)).statusCode, 200, 'the link the outage refused still works')
})
