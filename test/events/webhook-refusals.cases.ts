import { createHmac, hkdfSync } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { buildTestApp, TEST_DATA_ENCRYPTION_KEY } from '../helpers/build-app.js'
import { configError } from '../helpers/config-error.js'
import { LogCollector } from '../helpers/log-collector.js'
import { moved, scrape } from '../helpers/metrics.js'
import { streamedEvents } from '../helpers/session-events.js'
import { createUser, logIn } from '../helpers/sessions.js'
import { startWebhookReceiver, waitFor } from '../helpers/webhook-receiver.js'

// What the webhook does with what it must not post on and on: an event the receiver refuses for
// good goes to the dead-letter stream and the next ones are delivered; a redirect is such a
// refusal, never followed; an entry the server did not sign is never posted.

const SECRET = 'a-webhook-secret-of-at-least-32-characters'
const STREAM = 'auth-events'
const MAX_ATTEMPTS = 3
const POISON = 'POISON'
// Long enough for a late or repeated POST to arrive, were there one: many retry delays.
const SETTLE_MS = 300

function webhookEnv (url: string): Record<string, string> {
  return {
    EVENTS_STREAM: STREAM,
    EVENTS_WEBHOOK_URL: url,
    EVENTS_WEBHOOK_SECRET: SECRET,
    EVENTS_WEBHOOK_RETRY_MS: '10',
    EVENTS_WEBHOOK_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
    METRICS: 'on'
  }
}

function fieldsOf (entry: readonly string[]): Record<string, string> {
  return Object.fromEntries(entry.flatMap((value, i) => i % 2 === 0 ? [[value, entry[i + 1] ?? '']] : []))
}

t.test('an event the receiver refuses with 403 is dead-lettered after EVENTS_WEBHOOK_MAX_ATTEMPTS, and the later ones are delivered', async (t) => {
  const receiver = await startWebhookReceiver(t, (post, response) => {
    response.writeHead(post.event.deviceId === POISON ? 403 : 204).end()
  })
  const logs = new LogCollector()
  const { app } = await buildTestApp(t, { logStream: logs, env: webhookEnv(receiver.url) })
  const before = await scrape(app)
  const user = await createUser(app)
  const poisoned = await app.inject({ method: 'POST', url: '/auth/login', payload: { account: user.account, password: 'not the password', deviceId: POISON } })
  t.equal(poisoned.statusCode, 401)
  const login = await logIn(app, user, 'phone-1')
  const streamed = await streamedEvents(app)
  t.same(streamed.map((event) => event.type), ['login.failed', 'session.created', 'login.succeeded'])
  const [poison, ...later] = streamed

  const delivered = (): string[] => receiver.posts.filter((post) => post.event.deviceId !== POISON).map((post) => post.event.id)
  await waitFor(() => delivered().length >= later.length, 'the events after the poisoned one')
  await sleep(SETTLE_MS)
  t.same(delivered(), later.map((event) => event.id), 'the later events are delivered, once each, in order')
  t.equal(receiver.posts.filter((post) => post.event.deviceId === POISON).length, MAX_ATTEMPTS, 'the refused event was tried EVENTS_WEBHOOK_MAX_ATTEMPTS times')

  const dead = await app.redis.xrange(`${STREAM}:dead`, '-', '+')
  t.equal(dead.length, 1, 'one entry in the dead-letter stream')
  const deadFields = fieldsOf(dead[0]?.[1] ?? [])
  t.equal(deadFields.streamId, poison?.id, 'it names the entry it came from')
  t.equal(deadFields.status, '403', "with the receiver's status")
  t.equal(deadFields.attempts, String(MAX_ATTEMPTS), 'and the attempts made')
  t.equal(JSON.parse(deadFields.event ?? '{}').deviceId, POISON, 'and the event itself')
  t.equal(deadFields.type, 'login.failed')
  t.equal(moved(before, await scrape(app), 'auth_events_dead_lettered_total'), 1, 'counted')
  const warned = logs.lines<{ msg?: string, eventId?: string, statusCode?: number }>()
    .filter((line) => line.msg?.includes('dead-letter') === true)
  t.same(warned.map((line) => [line.eventId, line.statusCode]), [[poison?.id, 403]], 'logged once')
  t.notOk(logs.text.includes(SECRET), 'the log holds no secret')
  const pending = await app.redis.xpending(STREAM, 'webhook') as [number, ...unknown[]]
  t.equal(pending[0], 0, 'every entry is acknowledged')
  t.equal(login.response.statusCode, 200)
})

t.test('a 5xx or a 429 is retried past EVENTS_WEBHOOK_MAX_ATTEMPTS, and never dead-lettered', async (t) => {
  const refusals = [503, 429, 408, 500, 503]
  let answered = 0
  const receiver = await startWebhookReceiver(t, (_post, response) => {
    response.writeHead(refusals[answered++] ?? 204).end()
  })
  const { app } = await buildTestApp(t, { env: webhookEnv(receiver.url) })
  await logIn(app, await createUser(app))
  const streamed = await streamedEvents(app)
  await waitFor(() => receiver.posts.length >= refusals.length + streamed.length, 'every event delivered after the refusals')
  t.same(receiver.posts.slice(0, refusals.length + 1).map((post) => post.event.id), Array(refusals.length + 1).fill(streamed[0]?.id), 'the first event, tried until taken')
  t.equal((await app.redis.xrange(`${STREAM}:dead`, '-', '+')).length, 0, 'nothing dead-lettered')
})

t.test('a redirect is refused, never followed: the event is dead-lettered, the other receiver gets nothing', async (t) => {
  const elsewhere = await startWebhookReceiver(t)
  const redirecting = await startWebhookReceiver(t, (_post, response) => {
    response.writeHead(307, { location: elsewhere.url }).end()
  })
  const { app } = await buildTestApp(t, { env: webhookEnv(redirecting.url) })
  const before = await scrape(app)
  const failed = await app.inject({ method: 'POST', url: '/auth/login', payload: { account: 'nobody@example.com', password: 'not the password' } })
  t.equal(failed.statusCode, 401)
  await waitFor(async () => (await app.redis.xlen(`${STREAM}:dead`)) >= 1, 'the redirected event in the dead-letter stream')
  await sleep(SETTLE_MS)
  t.equal(elsewhere.posts.length, 0, 'the redirect target received nothing')
  t.equal(redirecting.posts.length, MAX_ATTEMPTS, 'the redirect counted as a refusal, EVENTS_WEBHOOK_MAX_ATTEMPTS times')
  const dead = await app.redis.xrange(`${STREAM}:dead`, '-', '+')
  t.equal(fieldsOf(dead[0]?.[1] ?? []).status, '307')
  t.equal(moved(before, await scrape(app), 'auth_events_dead_lettered_total'), 1)
})

t.test('an entry added to the stream by anyone else (XADD) is never posted; the genuine ones are', async (t) => {
  const receiver = await startWebhookReceiver(t)
  const logs = new LogCollector()
  const { app } = await buildTestApp(t, { logStream: logs, env: webhookEnv(receiver.url) })
  const before = await scrape(app)
  const user = await createUser(app)
  const genuine = await logIn(app, user, 'phone-1')
  const [template] = await app.redis.xrange(STREAM, '-', '+', 'COUNT', 1)
  const genuineFields = fieldsOf(template?.[1] ?? [])
  // As docs/events.md spells it, so a stream reader can check an entry the same way.
  const entryKey = Buffer.from(hkdfSync('sha256', SECRET, Buffer.alloc(0), 'token-session-auth: session event stream entries v1', 32))
  t.equal(genuineFields.signature, 'sha256=' + createHmac('sha256', entryKey).update(genuineFields.event ?? '').digest('hex'),
    'a genuine entry is signed over its event JSON with the documented key')
  const forgedEvent = { ...JSON.parse(genuineFields.event ?? '{}'), type: 'session.ended', reason: 'revoked', deviceId: 'forged' }
  // What redis-cli can write: a valid-looking event, and the signature of another one.
  const forgedId = await app.redis.xadd(STREAM, '*', ...Object.entries({
    ...genuineFields, type: 'session.ended', reason: 'revoked', deviceId: 'forged', event: JSON.stringify(forgedEvent)
  }).flat())
  const unsignedId = await app.redis.xadd(STREAM, '*', 'type', 'session.ended', 'event', JSON.stringify(forgedEvent))
  const logout = await app.inject({ method: 'POST', url: '/auth/logout', headers: { token: genuine.token } })
  t.equal(logout.statusCode, 200)

  const genuineIds = (await streamedEvents(app)).map((event) => event.id).filter((id) => id !== forgedId && id !== unsignedId)
  t.equal(genuineIds.length, 3, 'session.created, login.succeeded, session.ended')
  await waitFor(() => receiver.posts.length >= genuineIds.length, 'the genuine events')
  await sleep(SETTLE_MS)
  t.same(receiver.posts.map((post) => post.event.id), genuineIds, 'only the genuine events are posted')
  t.notOk(receiver.posts.some((post) => post.event.deviceId === 'forged'), 'no forged event reached the receiver')
  t.equal(moved(before, await scrape(app), 'auth_events_unverified_total'), 2, 'both forged entries counted')
  const warned = logs.lines<{ msg?: string, eventId?: string }>().filter((line) => line.msg?.includes('signature') === true)
  t.same(warned.map((line) => line.eventId).sort(), [forgedId, unsignedId].sort(), 'and logged')
  const pending = await app.redis.xpending(STREAM, 'webhook') as [number, ...unknown[]]
  t.equal(pending[0], 0, 'the forged entries are acknowledged, not retried')
})

t.test('in production the webhook must be https://, unless EVENTS_WEBHOOK_ALLOW_HTTP=true', async (t) => {
  const production = {
    NODE_ENV: 'production',
    DATA_ENCRYPTION_KEY: TEST_DATA_ENCRYPTION_KEY,
    JWT_SECRET: 'a-jwt-secret-of-at-least-32-characters-long',
    EVENTS_STREAM: STREAM,
    EVENTS_WEBHOOK_SECRET: SECRET
  }
  t.match(configError({ ...production, EVENTS_WEBHOOK_URL: 'http://hooks.example.com/auth' }), /EVENTS_WEBHOOK_URL must be https:\/\/ when NODE_ENV=production/)
  t.equal(configError({ ...production, EVENTS_WEBHOOK_URL: 'https://hooks.example.com/auth' }), undefined, 'https:// starts')
  t.equal(configError({ ...production, EVENTS_WEBHOOK_URL: 'http://hooks.internal/auth', EVENTS_WEBHOOK_ALLOW_HTTP: 'true' }), undefined, 'http:// when allowed explicitly')
  t.equal(configError({ ...production, NODE_ENV: 'development', EVENTS_WEBHOOK_URL: 'http://127.0.0.1:9/auth' }), undefined, 'http:// outside production')
  t.match(configError({ ...production, EVENTS_WEBHOOK_URL: 'https://hooks.example.com/auth', EVENTS_WEBHOOK_MAX_ATTEMPTS: '0' }), /EVENTS_WEBHOOK_MAX_ATTEMPTS must be >= 1/)
})
