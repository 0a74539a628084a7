import t from 'tap'
import { buildTestApp, TEST_DATA_ENCRYPTION_KEY } from '../helpers/build-app.js'
import { LogCollector } from '../helpers/log-collector.js'
import { moved, scrape, sample } from '../helpers/metrics.js'
import { createUser, logIn, TEST_PASSWORD } from '../helpers/sessions.js'
import { startWebhookReceiver, waitFor } from '../helpers/webhook-receiver.js'
import { deliveredMessages, forgot, NEW_PASSWORD, PUBLIC_URL, reset, webhookDeliveryEnv } from './recovery-requests.js'
import { headerOf, startSmtpReceiver } from './smtp-receiver.js'

// How a reset link reaches the user: the signed webhook with its retries, e-mail through a real
// SMTP server, the log in development; what is logged and counted when it cannot; and that the
// token and link never reach the log otherwise.

const FAILED_ATTEMPTS = 2
const MAX_ATTEMPTS = 4

function deliveries (channel: string, result: string): string {
  return `auth_recovery_deliveries_total{channel="${channel}",result="${result}"}`
}

t.test('webhook: a receiver failing the first attempts gets the message on a retry, under one delivery id; the counts', async (t) => {
  let answered = 0
  const receiver = await startWebhookReceiver(t, (_post, response) => {
    response.writeHead(++answered <= FAILED_ATTEMPTS ? 503 : 204).end()
  })
  const logs = new LogCollector()
  const { app } = await buildTestApp(t, { env: webhookDeliveryEnv(receiver, { METRICS: 'on' }), logStream: logs })
  const before = await scrape(app)
  const user = await createUser(app)
  t.equal((await forgot(app, user.account)).statusCode, 202)
  await app.recoveryDelivery.settled()
  const posts = deliveredMessages(receiver)
  t.equal(posts.length, FAILED_ATTEMPTS + 1, 'two refusals, then taken')
  t.ok(posts.every((post) => post.signed), 'every attempt signed')
  t.equal(new Set(posts.map((post) => post.id)).size, 1, 'one x-auth-delivery-id on every retry')
  t.equal(moved(before, await scrape(app), deliveries('webhook', 'delivered')), 1)
  const token = posts[0]?.message.token ?? ''
  t.ok(token.length > 0)
  t.equal((await reset(app, `${token}x`)).statusCode, 400)
  t.equal((await reset(app, token)).statusCode, 200)
  const after = await scrape(app)
  t.equal(moved(before, after, 'auth_password_reset_requests_total'), 1)
  t.equal(moved(before, after, 'auth_password_resets_total{result="invalid_token"}'), 1)
  t.equal(moved(before, after, 'auth_password_resets_total{result="success"}'), 1)
  t.notOk(logs.text.includes(token), 'the token is not in the log')
})

t.test('webhook: a receiver that keeps failing: given up after the retries, a warning without the token, a count', async (t) => {
  const receiver = await startWebhookReceiver(t, (_post, response) => { response.writeHead(500).end() })
  const logs = new LogCollector()
  const { app } = await buildTestApp(t, { env: webhookDeliveryEnv(receiver, { METRICS: 'on' }), logStream: logs })
  const user = await createUser(app)
  t.equal((await forgot(app, user.account)).statusCode, 202)
  await app.recoveryDelivery.settled()
  t.equal(receiver.posts.length, MAX_ATTEMPTS)
  const warning = logs.lines<{ msg: string, userId?: number, attempts?: number, channel?: string }>().find((line) => line.msg.includes('given up'))
  t.match(warning, { userId: user.userId, attempts: MAX_ATTEMPTS, channel: 'webhook' })
  t.equal(sample(await scrape(app), deliveries('webhook', 'failed')), 1)
  const token = deliveredMessages(receiver)[0]?.message.token ?? ''
  t.notOk(logs.text.includes(token), 'the token is not in the log')
})

t.test('webhook: a redirect is never followed, and not retried', async (t) => {
  const receiver = await startWebhookReceiver(t, (_post, response) => { response.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' }).end() })
  const { app } = await buildTestApp(t, { env: webhookDeliveryEnv(receiver, { METRICS: 'on' }) })
  const user = await createUser(app)
  t.equal((await forgot(app, user.account)).statusCode, 202)
  await app.recoveryDelivery.settled()
  t.equal(receiver.posts.length, 1)
  t.equal(sample(await scrape(app), deliveries('webhook', 'undeliverable')), 1)
})

t.test('SMTP: an e-mail to the account, from MAIL_FROM, with the link', async (t) => {
  const smtp = await startSmtpReceiver(t)
  const logs = new LogCollector()
  const from = 'Example Accounts <no-reply@example.com>'
  const { app } = await buildTestApp(t, { env: { SMTP_URL: smtp.url, MAIL_FROM: from, PUBLIC_URL, METRICS: 'on' }, logStream: logs })
  const user = await createUser(app)
  t.equal((await forgot(app, user.account)).statusCode, 202)
  await app.recoveryDelivery.settled()
  t.equal(smtp.mails.length, 1)
  const [mail] = smtp.mails
  if (mail === undefined) return
  t.same(mail.rcptTo, [user.account])
  t.equal(mail.mailFrom, 'no-reply@example.com')
  t.equal(headerOf(mail.raw, 'To'), user.account)
  t.equal(headerOf(mail.raw, 'From'), from)
  t.equal(headerOf(mail.raw, 'Subject'), 'Reset your password')
  // The body is quoted-printable: soft line breaks joined, `=3D` back to `=`.
  const body = mail.raw.replace(/=\r?\n/g, '').replace(/=3D/g, '=')
  const link = /https:\/\/auth\.example\/#\/reset\?token=([A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])/.exec(body)
  t.ok(link, 'the link is in the mail')
  t.equal(sample(await scrape(app), deliveries('smtp', 'delivered')), 1)
  t.notOk(logs.text.includes(link?.[1] ?? 'no token'), 'the token is not in the log')
  const used = await reset(app, link?.[1] ?? 'no token')
  t.equal(used.statusCode, 200, `the mailed link resets the password: ${used.body}`)
  await logIn(app, { ...user, password: NEW_PASSWORD })
  t.pass('and the new password signs in')
})

t.test('SMTP: an account that is not an e-mail address gets no mail; a warning and a count say so', async (t) => {
  const smtp = await startSmtpReceiver(t)
  const logs = new LogCollector()
  const { app } = await buildTestApp(t, { env: { SMTP_URL: smtp.url, MAIL_FROM: 'no-reply@example.com', PUBLIC_URL, METRICS: 'on' }, logStream: logs })
  const user = await app.users.create({ account: `ann-${Date.now()}`, passwordHash: 'x' })
  t.equal((await forgot(app, user.account)).statusCode, 202, 'the answer is the same')
  await app.recoveryDelivery.settled()
  t.equal(smtp.mails.length, 0)
  const warning = logs.lines<{ msg: string, userId?: number, reason?: string }>().find((line) => line.msg.includes('could not be delivered'))
  t.match(warning, { userId: user.id, reason: /not an e-mail address/ })
  t.equal(sample(await scrape(app), deliveries('smtp', 'undeliverable')), 1)
})

t.test('development with no delivery: the link is logged at info, to be followed by hand', async (t) => {
  const logs = new LogCollector()
  const { app } = await buildTestApp(t, { logStream: logs })
  const user = await createUser(app)
  t.equal((await forgot(app, user.account)).statusCode, 202)
  await app.recoveryDelivery.settled()
  const line = logs.lines<{ level: number, resetLink?: string, userId?: number }>().find((l) => l.resetLink !== undefined)
  t.equal(line?.level, 30, 'info')
  t.equal(line?.userId, user.userId)
  t.match(line?.resetLink, /^http:\/\/127\.0\.0\.1:3000\/#\/reset\?token=[A-Za-z0-9_-]{43}$/, 'the page of this server')
})

t.test('production with no delivery: a warning at start, each request counted and warned, the answer unchanged', async (t) => {
  const logs = new LogCollector()
  const { app } = await buildTestApp(t, { env: { NODE_ENV: 'production', DATA_ENCRYPTION_KEY: TEST_DATA_ENCRYPTION_KEY, METRICS: 'on' }, logStream: logs })
  t.ok(logs.lines<{ level: number, msg: string }>().some((l) => l.level === 40 && l.msg.includes('Password reset cannot reach users')), 'the start warns')
  const user = await createUser(app)
  t.equal((await forgot(app, user.account)).statusCode, 202)
  await app.recoveryDelivery.settled()
  await waitFor(async () => sample(await scrape(app), deliveries('none', 'undeliverable')) === 1, 'the count')
  t.notOk(logs.text.includes('resetLink'), 'no link logged')
  t.notOk(logs.text.includes(TEST_PASSWORD), 'no password logged')
})
