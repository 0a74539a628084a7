import t from 'tap'
import { buildTestApp } from '../helpers/build-app.js'
import { createUser, logIn } from '../helpers/sessions.js'
import { startWebhookReceiver } from '../helpers/webhook-receiver.js'
import { reset, resetTokenFor, webhookDeliveryEnv } from './recovery-requests.js'

// Single use under concurrency: two resets racing with one token, exactly one succeeds, every
// round; and the password is the winner's.
const ROUNDS = 15

t.test('two concurrent resets with one token: exactly one succeeds', async (t) => {
  const receiver = await startWebhookReceiver(t)
  const { app } = await buildTestApp(t, { env: webhookDeliveryEnv(receiver, { RATE_LIMIT_RESET_ACCOUNT: '1000', RATE_LIMIT_RESET_IP: '1000' }) })
  const user = await createUser(app)
  for (let round = 0; round < ROUNDS; round++) {
    const token = await resetTokenFor(app, receiver, user.account)
    const passwords = [`first passphrase of round ${round}`, `second passphrase of round ${round}`]
    const answers = await Promise.all(passwords.map(async (password) => await reset(app, token, password)))
    const statuses = answers.map((answer) => answer.statusCode).sort()
    t.same(statuses, [200, 400], `round ${round}: one 200, one 400 (${answers.map((a) => a.body).join(' | ')})`)
    const winner = passwords[answers.findIndex((answer) => answer.statusCode === 200)] ?? ''
    await logIn(app, { ...user, password: winner })
  }
})
