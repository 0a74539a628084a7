import t from 'tap'
import { startWebhookReceiver, waitFor } from '../../test/helpers/webhook-receiver.js'
import { deliveredMessages, webhookDeliveryEnv } from '../../test/recovery/recovery-requests.js'
import { createAuthClient, ERROR_CODES, memoryStorage, type SessionEndReason } from '../src/index.js'
import { startApiServer } from './helpers/api-server.js'

const NEW_PASSWORD = 'a new password after the reset link'

t.test('forgotPassword and resetPassword: the link works once, the other devices are told password_reset', async (t) => {
  const receiver = await startWebhookReceiver(t)
  const server = await startApiServer(t, webhookDeliveryEnv(receiver))
  const user = await server.createUser()
  const ended: SessionEndReason[] = []
  const phone = createAuthClient({ baseUrl: server.baseUrl, storage: memoryStorage(), onSessionEnded: (reason) => { ended.push(reason) } })
  await phone.login(user.account, user.password)
  const browser = createAuthClient({ baseUrl: server.baseUrl, storage: memoryStorage() })

  await browser.forgotPassword('nobody-here@example.com')
  await browser.forgotPassword(user.account)
  await waitFor(() => receiver.posts.length === 1, 'the one message, for the account that exists')
  const token = deliveredMessages(receiver)[0]?.message.token ?? ''

  await browser.resetPassword(token, NEW_PASSWORD)
  t.equal(browser.isSignedIn(), false, 'a reset starts no session')
  await t.rejects(browser.resetPassword(token, 'and once more, another one'), { name: 'AuthError', status: 400, errorCode: ERROR_CODES.invalidResetToken })
  await t.rejects(phone.me(), { name: 'AuthError', status: 401, errorCode: '1002', reason: 'password_reset' })
  t.same(ended, ['password_reset'], 'onSessionEnded tells the phone why')
  await t.resolves(browser.login(user.account, NEW_PASSWORD), 'the new password signs in')
  await t.rejects(browser.forgotPassword(''), { name: 'AuthError', status: 400, errorCode: '1400' })
})
