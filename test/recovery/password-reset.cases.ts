import t from 'tap'
import { resetTokenDigest } from '../../src/recovery/reset-token.js'
import { accountDigest } from '../../src/events/session-event.js'
import { buildTestApp } from '../helpers/build-app.js'
import { RedisServer } from '../helpers/redis-server.js'
import { streamedEvents } from '../helpers/session-events.js'
import { createUser, expireKeyNow, logIn, me, uniqueAccount } from '../helpers/sessions.js'
import { startWebhookReceiver, waitFor } from '../helpers/webhook-receiver.js'
import { deliveredMessages, forgot, NEW_PASSWORD, PUBLIC_URL, reset, resetTokenFor, webhookDeliveryEnv } from './recovery-requests.js'

// The password reset over HTTP, with its link delivered to a real webhook receiver: one live
// single-use token per user stored only as a digest, every session ended, nothing told about
// accounts that do not exist.

const DEFAULT_TTL_SECONDS = 1800

t.test('a reset link asked for, delivered signed, used once: every session ends, the new password works', async (t) => {
  const receiver = await startWebhookReceiver(t)
  const { app, config } = await buildTestApp(t, { env: webhookDeliveryEnv(receiver, { EVENTS_STREAM: 'events' }) })
  const user = await createUser(app)
  const phone = await logIn(app, user, 'phone')
  const laptop = await logIn(app, user, 'laptop')

  const asked = await forgot(app, ` ${user.account.toUpperCase()} `)
  t.equal(asked.statusCode, 202, asked.body)
  t.same(asked.json(), { result: 'success' })
  await app.recoveryDelivery.settled()
  const [delivered, ...more] = deliveredMessages(receiver)
  t.equal(more.length, 0, 'one message')
  if (delivered === undefined) return
  t.ok(delivered.signed, 'x-auth-delivery-signature verifies with DELIVERY_WEBHOOK_SECRET over "<timestamp>.<body>"')
  t.match(delivered.id, /^[0-9a-f-]{36}$/, 'x-auth-delivery-id')
  const { message } = delivered
  t.same(Object.keys(message).sort(), ['account', 'expiresAt', 'link', 'token', 'type', 'userId'])
  t.equal(message.type, 'password_reset')
  t.equal(message.userId, user.userId)
  t.equal(message.account, user.account)
  t.match(message.token, /^[A-Za-z0-9_-]{43}$/, '32 random bytes, base64url')
  t.equal(message.link, `${PUBLIC_URL}/#/reset?token=${message.token}`)
  const expiresInSeconds = (Date.parse(message.expiresAt) - Date.now()) / 1000
  t.ok(expiresInSeconds > DEFAULT_TTL_SECONDS - 60 && expiresInSeconds <= DEFAULT_TTL_SECONDS, `expires in PASSWORD_RESET_TTL (${expiresInSeconds} s)`)

  // Only the digest is stored, with the TTL.
  const prefix = config.REDIS_KEY_PREFIX
  const tokenKey = `${prefix}PASSWORD_RESET:${resetTokenDigest(message.token)}`
  t.equal(await app.redis.get(tokenKey), String(user.userId))
  const ttl = await app.redis.ttl(tokenKey)
  t.ok(ttl > DEFAULT_TTL_SECONDS - 60 && ttl <= DEFAULT_TTL_SECONDS, `TTL ${ttl}`)
  t.equal(await app.redis.get(`${prefix}PASSWORD_RESET_USER:{${user.userId}}`), resetTokenDigest(message.token))
  const keys = await app.redis.keys(`${prefix}*`)
  for (const key of keys) t.notOk(key.includes(message.token), `no key holds the token: ${key}`)

  const done = await reset(app, message.token)
  t.equal(done.statusCode, 200, done.body)
  t.same(done.json(), { result: 'success' })
  for (const session of [phone, laptop]) {
    const refused = await me(app, session.token)
    t.equal(refused.statusCode, 401)
    t.match(refused.json(), { errorCode: '1002', reason: 'password_reset' }, `the ${session.sessionId} session ended with reason password_reset`)
  }
  const oldPassword = await app.inject({ method: 'POST', url: '/auth/login', payload: { account: user.account, password: user.password } })
  t.equal(oldPassword.statusCode, 401, 'the old password no longer works')
  await logIn(app, { ...user, password: NEW_PASSWORD })

  const again = await reset(app, message.token, 'yet another new passphrase')
  t.equal(again.statusCode, 400)
  t.match(again.json(), { code: 0, errorCode: '1014' }, 'a used link answers 1014')
  t.equal(await app.redis.exists(tokenKey), 0, 'the token is gone')

  const events = await streamedEvents(app)
  const requested = events.filter((event) => event.type === 'password.reset_requested')
  t.equal(requested.length, 1)
  t.match(requested[0], { userId: user.userId, account: accountDigest(user.account), ip: '127.0.0.1' })
  const resetEvents = events.filter((event) => event.type === 'password.reset')
  t.equal(resetEvents.length, 1)
  t.match(resetEvents[0], { userId: user.userId, ip: '127.0.0.1' })
  const ended = events.filter((event) => event.type === 'session.ended' && event.reason === 'password_reset').map((event) => event.sessionId)
  t.same(ended.sort(), [phone.sessionId, laptop.sessionId].sort(), 'session.ended password_reset for each session')
  t.notOk(JSON.stringify(events).includes(message.token), 'no event holds the token')
})

t.test('an unknown account gets the same answer, no message and no stored key', async (t) => {
  const receiver = await startWebhookReceiver(t)
  const { app, config } = await buildTestApp(t, { env: webhookDeliveryEnv(receiver, { EVENTS_STREAM: 'events' }) })
  const account = uniqueAccount()
  const asked = await forgot(app, account)
  t.equal(asked.statusCode, 202, asked.body)
  t.same(asked.json(), { result: 'success' })
  await app.recoveryDelivery.settled()
  t.equal(receiver.posts.length, 0, 'nothing delivered')
  t.same(await app.redis.keys(`${config.REDIS_KEY_PREFIX}PASSWORD_RESET*`), [], 'no reset key written')
  const [event] = (await streamedEvents(app)).filter((e) => e.type === 'password.reset_requested')
  t.match(event, { userId: null, account: accountDigest(account) }, 'the operator still sees the request, by digest')
})

t.test('a new request replaces the live token; an unknown, expired or malformed token answers 1014', async (t) => {
  const receiver = await startWebhookReceiver(t)
  const { app, config } = await buildTestApp(t, { env: webhookDeliveryEnv(receiver) })
  const user = await createUser(app)
  const first = await resetTokenFor(app, receiver, user.account)
  const second = await resetTokenFor(app, receiver, user.account)
  t.not(first, second)
  t.equal(await app.redis.exists(`${config.REDIS_KEY_PREFIX}PASSWORD_RESET:${resetTokenDigest(first)}`), 0, 'the replaced token is deleted')
  const replaced = await reset(app, first)
  t.equal(replaced.statusCode, 400)
  t.match(replaced.json(), { errorCode: '1014' })

  for (const token of ['x', 'A'.repeat(43), `${second}x`]) {
    const refused = await reset(app, token)
    t.match(refused.json(), { errorCode: '1014' }, `token ${token.slice(0, 10)}… refused`)
  }
  const tooShort = await reset(app, second, 'short')
  t.equal(tooShort.statusCode, 400)
  t.match(tooShort.json(), { errorCode: '1400' }, 'the new password follows the registration rules')

  await expireKeyNow(app, `${config.REDIS_KEY_PREFIX}PASSWORD_RESET:${resetTokenDigest(second)}`)
  const expired = await reset(app, second)
  t.match(expired.json(), { errorCode: '1014' }, 'an expired token')
})

t.test('budgets: per account and per IP for requests, refused tokens count against the IP', async (t) => {
  const receiver = await startWebhookReceiver(t)
  const { app } = await buildTestApp(t, { env: webhookDeliveryEnv(receiver, { RATE_LIMIT_RESET_IP: '5' }) })
  const user = await createUser(app)
  for (let i = 0; i < 3; i++) t.equal((await forgot(app, user.account, '10.0.0.1')).statusCode, 202)
  const overAccount = await forgot(app, user.account, '10.0.0.2')
  t.equal(overAccount.statusCode, 429, 'RATE_LIMIT_RESET_ACCOUNT: 3 by default')
  t.match(overAccount.json(), { errorCode: '1029' })
  t.ok(Number(overAccount.headers['retry-after']) > 0, 'Retry-After')

  // 10.0.0.3: two requests and three wrong tokens fill the budget of 5.
  t.equal((await forgot(app, uniqueAccount(), '10.0.0.3')).statusCode, 202)
  t.equal((await forgot(app, uniqueAccount(), '10.0.0.3')).statusCode, 202)
  for (let i = 0; i < 3; i++) t.equal((await reset(app, `guess-${i}`, NEW_PASSWORD, '10.0.0.3')).statusCode, 400)
  const overIp = await reset(app, 'guess-more', NEW_PASSWORD, '10.0.0.3')
  t.equal(overIp.statusCode, 429, 'guesses count against RATE_LIMIT_RESET_IP')
  t.ok(Number(overIp.headers['retry-after']) > 0)
  t.equal((await forgot(app, uniqueAccount(), '10.0.0.3')).statusCode, 429, 'and so do requests from that IP')
  t.equal((await forgot(app, uniqueAccount(), '10.0.0.4')).statusCode, 202, 'another IP has its own budget')
})

t.test('a reset lifts the failed-login budget that held the owner out', async (t) => {
  const receiver = await startWebhookReceiver(t)
  const { app } = await buildTestApp(t, { env: webhookDeliveryEnv(receiver, { RATE_LIMIT_LOGIN_ACCOUNT_IP: '2' }) })
  const user = await createUser(app)
  const wrong = { method: 'POST' as const, url: '/auth/login', payload: { account: user.account, password: 'not the password' } }
  t.equal((await app.inject(wrong)).statusCode, 401)
  t.equal((await app.inject(wrong)).statusCode, 401)
  t.equal((await app.inject(wrong)).statusCode, 429, 'held out')
  const token = await resetTokenFor(app, receiver, user.account)
  t.equal((await reset(app, token)).statusCode, 200)
  await logIn(app, { ...user, password: NEW_PASSWORD })
  t.pass('the new password signs in at once')
})

t.test('refresh strategy: the refresh tokens of the user stop working', async (t) => {
  const receiver = await startWebhookReceiver(t)
  const { app } = await buildTestApp(t, { env: webhookDeliveryEnv(receiver, { AUTH_STRATEGY: 'refresh' }) })
  const user = await createUser(app)
  const session = await logIn(app, user)
  const { refreshToken } = session.response.json<{ refreshToken: string }>()
  const token = await resetTokenFor(app, receiver, user.account)
  t.equal((await reset(app, token)).statusCode, 200)
  const refreshed = await app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken } })
  t.equal(refreshed.statusCode, 401, refreshed.body)
})

// Every instance: a reset made on A ends the sessions B serves from its near-cache, as soon as
// Redis' invalidation reaches B (A answers only once its own cache has dropped them).
t.test('a reset on one instance ends the sessions another serves from its near-cache', async (t) => {
  const redisServer = await RedisServer.start()
  t.teardown(async () => await redisServer.destroy())
  const receiver = await startWebhookReceiver(t)
  const env = webhookDeliveryEnv(receiver)
  // Each app has a database of its own: the user is A's, its sessions are in the Redis both read.
  const { app: a } = await buildTestApp(t, { redisServer, env })
  const { app: b } = await buildTestApp(t, { redisServer, env })
  const user = await createUser(a)
  const sessions = [await logIn(a, user, 'phone'), await logIn(a, user, 'laptop')]
  const cacheOfB = b.nearCache
  if (cacheOfB === null) throw new Error('NEAR_CACHE is off')
  for (const session of sessions) await me(b, session.token)
  await cacheOfB.sync()
  const hitsBefore = cacheOfB.counts.hits
  for (const session of sessions) t.equal((await me(b, session.token)).statusCode, 200)
  t.equal(cacheOfB.counts.hits - hitsBefore, 2, 'B serves both sessions from its near-cache')

  const token = await resetTokenFor(a, receiver, user.account)
  t.equal((await reset(a, token)).statusCode, 200)
  for (const session of sessions) t.match((await me(a, session.token)).json(), { errorCode: '1002', reason: 'password_reset' }, 'A refuses at once')
  await waitFor(async () => (await me(b, sessions[0]?.token ?? '')).statusCode === 401, 'B to hear of the reset')
  await cacheOfB.sync()
  for (const session of sessions) t.match((await me(b, session.token)).json(), { errorCode: '1002', reason: 'password_reset' }, 'B refuses')
  const fresh = await logIn(a, { ...user, password: NEW_PASSWORD })
  t.equal((await me(b, fresh.token)).statusCode, 200, 'a session of the new password is served by B')
})
