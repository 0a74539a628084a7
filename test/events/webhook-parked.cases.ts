import type { FastifyInstance } from 'fastify'
import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import { buildTestApp, type TestContext } from '../helpers/build-app.js'
import { moved, scrape } from '../helpers/metrics.js'
import { streamedEvents, type StreamedEvent } from '../helpers/session-events.js'
import { startWebhookReceiver, waitFor, type ReceivedPost, type WebhookReceiver } from '../helpers/webhook-receiver.js'

// An event the receiver refuses for good (a 4xx) is parked: retried on its backoff beside the
// later events, which go on at once, until the receiver takes it or it is dead-lettered. A parked
// event stays pending in the consumer group, so the instance taking over the webhook posts it.

const SECRET = 'a-webhook-secret-of-at-least-32-characters'
const STREAM = 'auth-events'
const DEAD = `${STREAM}:dead`
const MAX_ATTEMPTS = 3
const POISON = 'POISON'
// Retried in line, as they once were, the refused events of a round would hold every later event
// for RETRY_MS + 2 × RETRY_MS each, and the first dead letter would come before them.
const RETRY_MS = 500
const ROUNDS = 5
const REFUSED_PER_ROUND = 3
// Long enough for a late or repeated POST to arrive, were there one.
const SETTLE_MS = 300
// A backoff no test waits out: the killed instance's parked events are still parked when it dies.
const NEVER_DUE_MS = 60_000
// The next holder's: its first page of parked events (posted one by one) is not due again before
// the events after them are taken.
const TAKEOVER_RETRY_MS = 1000
// More than one page of the pending read (ENTRIES_PER_READ, 100): the next holder parks a full
// page, and must still reach the pending entries after it.
const PARKED_AT_KILL = 120

function webhookEnv (url: string, retryMs: number): Record<string, string> {
  return {
    EVENTS_STREAM: STREAM,
    EVENTS_WEBHOOK_URL: url,
    EVENTS_WEBHOOK_SECRET: SECRET,
    EVENTS_WEBHOOK_RETRY_MS: String(retryMs),
    EVENTS_WEBHOOK_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
    METRICS: 'on'
  }
}

const isPoison = (post: ReceivedPost): boolean => post.event.deviceId === POISON

// What the receiver took (answered 2xx), in order.
interface TakingReceiver extends WebhookReceiver {
  taken: string[]
}

async function startReceiver (t: TestContext, answer: (post: ReceivedPost) => number | 'hang'): Promise<TakingReceiver> {
  const taken: string[] = []
  const receiver = await startWebhookReceiver(t, (post, response) => {
    const status = answer(post)
    if (status === 'hang') return
    if (status < 300) taken.push(post.event.id)
    response.writeHead(status).end()
  })
  return { ...receiver, taken }
}

// Told through the app's observer, as the routes tell them: the events of a round are in the
// stream within a millisecond, so how soon each is posted does not hang on how fast logins run.
function tellFailedLogin (app: FastifyInstance, attempt: string): void {
  app.authEvents.loginAttempted('bad_credentials', { account: `${attempt}@example.com`, deviceId: POISON, ip: '203.0.113.7' })
}

function tellSession (app: FastifyInstance, sessionId: string): void {
  app.authEvents.sessionCreated({ userId: 42, sessionId, deviceId: 'phone-1' })
}

function fieldsOf (entry: readonly string[]): Record<string, string> {
  return Object.fromEntries(entry.flatMap((value, i) => i % 2 === 0 ? [[value, entry[i + 1] ?? '']] : []))
}

async function deadLetters (app: FastifyInstance): Promise<Array<Record<string, string>>> {
  return (await app.redis.xrange(DEAD, '-', '+')).map(([, fields]) => fieldsOf(fields))
}

async function pendingCount (app: FastifyInstance): Promise<number> {
  const [count] = await app.redis.xpending(STREAM, 'webhook') as [number, ...unknown[]]
  return count
}

function postsOf (receiver: WebhookReceiver, id: string | undefined): number {
  return receiver.posts.filter((post) => post.event.id === id).length
}

t.test('events the receiver refuses are retried beside the later ones, which do not wait for their backoff', async (t) => {
  const receiver = await startReceiver(t, (post) => isPoison(post) ? 403 : 204)
  const { app } = await buildTestApp(t, { env: webhookEnv(receiver.url, RETRY_MS) })
  const before = await scrape(app)
  const refused: StreamedEvent[] = []
  const later: StreamedEvent[] = []
  // Rounds back to back: each round's events meet the parked retries of the rounds before it.
  for (let round = 1; round <= ROUNDS; round++) {
    const streamedBefore = (await streamedEvents(app)).length
    for (let i = 0; i < REFUSED_PER_ROUND; i++) {
      tellFailedLogin(app, `round-${round}-${i}`)
      tellSession(app, `round-${round}-${i}-a`)
      tellSession(app, `round-${round}-${i}-b`)
    }
    const events = (await streamedEvents(app)).slice(streamedBefore)
    const roundRefused = events.filter((event) => event.deviceId === POISON)
    const roundLater = events.filter((event) => event.deviceId !== POISON)
    t.equal(roundRefused.length, REFUSED_PER_ROUND)
    await waitFor(() => roundLater.every((event) => receiver.taken.includes(event.id)), 'the events after the refused ones')
    t.ok(roundRefused.every((event) => postsOf(receiver, event.id) < MAX_ATTEMPTS),
      `round ${round}: every later event was taken while the refused ones before it had attempts left (none dead-lettered yet)`)
    refused.push(...roundRefused)
    later.push(...roundLater)
  }
  await waitFor(async () => await app.redis.xlen(DEAD) >= refused.length, 'the refused events dead-lettered')
  await sleep(SETTLE_MS)

  t.same(receiver.taken, later.map((event) => event.id), 'the later events were taken once each, in the stream\'s order')
  t.same(refused.map((event) => postsOf(receiver, event.id)), refused.map(() => MAX_ATTEMPTS), 'each refused event was posted EVENTS_WEBHOOK_MAX_ATTEMPTS times')
  const dead = await deadLetters(app)
  t.same(dead.map((entry) => entry.streamId).sort(), refused.map((event) => event.id).sort(), 'each refused event is in the dead-letter stream, once')
  t.ok(dead.every((entry) => entry.status === '403' && entry.attempts === String(MAX_ATTEMPTS) && entry.deviceId === POISON),
    "with the receiver's status, the attempts and its fields")
  t.equal(moved(before, await scrape(app), 'auth_events_dead_lettered_total'), refused.length, 'counted')
  t.equal(await pendingCount(app), 0, 'every entry is acknowledged')
})

t.test('a refused event the receiver takes on a later attempt is acknowledged, not dead-lettered', async (t) => {
  const TAKEN_ON_ATTEMPT = MAX_ATTEMPTS
  const receiver = await startReceiver(t, (post) => {
    if (!isPoison(post)) return 204
    return postsOf(receiver, post.event.id) < TAKEN_ON_ATTEMPT ? 403 : 204
  })
  const { app } = await buildTestApp(t, { env: webhookEnv(receiver.url, RETRY_MS) })
  const before = await scrape(app)
  tellFailedLogin(app, 'taken-later')
  tellSession(app, 'after-it')
  const [refused, after] = await streamedEvents(app)
  await waitFor(() => receiver.taken.length >= 2, 'both events taken')
  await sleep(SETTLE_MS)
  t.same(receiver.taken, [after?.id, refused?.id], 'the later event first, then the refused one, on its last attempt')
  t.equal(postsOf(receiver, refused?.id), TAKEN_ON_ATTEMPT, 'posted until taken, no more')
  t.equal(await app.redis.xlen(DEAD), 0, 'nothing dead-lettered')
  t.equal(moved(before, await scrape(app), 'auth_events_dead_lettered_total'), 0)
  t.equal(await pendingCount(app), 0, 'acknowledged')
})

// The killed instance parked PARKED_AT_KILL refused events and was posting the next one when it
// stopped. `takesThemLater`: the receiver takes the refused events on their second post by the
// next holder (delivered), or goes on refusing them (dead-lettered).
async function killWhileParked (t: Test, takesThemLater: boolean): Promise<void> {
  let firstDown = false
  const receiver: TakingReceiver = await startReceiver(t, (post) => {
    if (isPoison(post)) return !firstDown || !takesThemLater || postsOf(receiver, post.event.id) < 3 ? 403 : 204
    // The killed instance dies waiting for this answer: the event stays pending too.
    if (post.event.sessionId === 'hung' && !firstDown) return 'hang'
    return 204
  })
  const first = await buildTestApp(t, { env: webhookEnv(receiver.url, NEVER_DUE_MS) })
  for (let i = 0; i < PARKED_AT_KILL; i++) tellFailedLogin(first.app, `killed-${i}`)
  tellSession(first.app, 'hung')
  tellSession(first.app, 'behind-hung')
  const atKill = await streamedEvents(first.app)
  const refused = atKill.filter((event) => event.deviceId === POISON)
  await waitFor(() => receiver.posts.some((post) => post.event.sessionId === 'hung'), 'the killed instance posting past the parked events')
  t.ok(refused.every((event) => postsOf(receiver, event.id) === 1), 'each refused event was posted once, then parked')
  t.equal(await pendingCount(first.app), atKill.length, 'the parked events, the one in flight and the one behind it are pending')

  // Its lease would run out WEBHOOK_LEASE_MS after its last renewal; the test lets it run out
  // now (it is waiting for the hung answer, renewing nothing), then stops the instance.
  await first.app.redis.pexpire(`${STREAM}:webhook-lease`, 1)
  await first.app.close()
  firstDown = true
  const { REDIS_URL, REDIS_KEY_PREFIX } = first.config
  const sameRedis = { REDIS_URL, ...(REDIS_KEY_PREFIX === '' ? {} : { REDIS_KEY_PREFIX }) }
  const next = await buildTestApp(t, { env: { ...webhookEnv(receiver.url, TAKEOVER_RETRY_MS), ...sameRedis } })
  await waitFor(() => ['hung', 'behind-hung'].every((id) => receiver.posts.some((post) => post.event.sessionId === id && receiver.taken.includes(post.event.id))),
    'the pending events after the parked ones')
  tellSession(next.app, 'after-takeover')
  const [newest] = (await streamedEvents(next.app)).slice(-1)
  await waitFor(() => receiver.taken.includes(newest?.id ?? ''), 'the event told after the takeover')
  t.ok(refused.some((event) => !receiver.taken.includes(event.id) && postsOf(receiver, event.id) < 1 + MAX_ATTEMPTS),
    'taken while refused events were parked by the next holder')

  if (takesThemLater) {
    await waitFor(() => refused.every((event) => receiver.taken.includes(event.id)), 'the refused events taken')
    await sleep(SETTLE_MS)
    t.equal(await next.app.redis.xlen(DEAD), 0, 'none dead-lettered')
  } else {
    await waitFor(async () => await next.app.redis.xlen(DEAD) >= refused.length, 'the refused events dead-lettered')
    await sleep(SETTLE_MS)
    const dead = await deadLetters(next.app)
    t.same(dead.map((entry) => entry.streamId).sort(), refused.map((event) => event.id).sort(), 'each dead-lettered once, by the next holder')
    t.ok(dead.every((entry) => entry.status === '403' && entry.attempts === String(MAX_ATTEMPTS)), 'after its own EVENTS_WEBHOOK_MAX_ATTEMPTS')
  }
  t.equal(await pendingCount(next.app), 0, 'every entry is acknowledged')
  t.same(receiver.taken.filter((id) => !refused.some((event) => event.id === id)).length, 3, 'the other events were each taken once')
}

t.test('an instance killed while events are parked: the next holder of the webhook delivers them', async (t) => {
  await killWhileParked(t, true)
})

t.test('an instance killed while events are parked: the next holder dead-letters them', async (t) => {
  await killWhileParked(t, false)
})
