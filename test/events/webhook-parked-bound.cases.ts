import { Redis } from 'ioredis'
import { randomBytes } from 'node:crypto'
import t from 'tap'
import { eventSigningKey } from '../../src/events/event-signature.js'
import { EventStream } from '../../src/events/event-stream.js'
import { sessionEvent } from '../../src/events/session-event.js'
import { WebhookDelivery } from '../../src/events/webhook-delivery.js'
import { NO_EVENT_DELIVERY_OBSERVER } from '../../src/metrics/auth-events.js'
import { sharedRedisDatabaseUrl } from '../helpers/redis-server.js'
import { startWebhookReceiver, waitFor } from '../helpers/webhook-receiver.js'

// The parked events are bounded (the server parks up to 1000; here 1, through the delivery's own
// settings): while the bound is reached, a refused event is retried in line, and the events after
// it wait, as they do for a receiver that is down, until a parked one settles and makes room.

const SECRET = 'a-webhook-secret-of-at-least-32-characters'
const MAX_ATTEMPTS = 3
const RETRY_MS = 100
const POISON = 'POISON'

t.test('with the parked events at their bound, a refused event waits in line and holds the later ones', async (t) => {
  const receiver = await startWebhookReceiver(t, (post, response) => { response.writeHead(post.event.deviceId === POISON ? 403 : 204).end() })
  const url = process.env.REDIS_URL === undefined || process.env.REDIS_URL === '' ? await sharedRedisDatabaseUrl() : process.env.REDIS_URL
  const redis = new Redis(url)
  const reader = new Redis(url)
  t.teardown(() => redis.disconnect())
  const streamKey = `bounded-${randomBytes(6).toString('hex')}`
  const signingKey = eventSigningKey(SECRET)
  const delivery = new WebhookDelivery(redis, reader, {
    url: receiver.url,
    secret: SECRET,
    signingKey,
    streamKey,
    group: 'webhook',
    leaseKey: `${streamKey}:webhook-lease`,
    leaseMs: 30_000,
    blockMs: 1000,
    requestTimeoutMs: 5000,
    firstRetryDelayMs: RETRY_MS,
    maxRetryDelayMs: 60_000,
    maxAttempts: MAX_ATTEMPTS,
    maxParked: 1,
    deadLetterKey: `${streamKey}:dead`,
    deadLetterMaxLength: 1000
  }, { warn: () => undefined }, Date.now, NO_EVENT_DELIVERY_OBSERVER)
  await delivery.start()
  t.teardown(async () => await delivery.close())

  const stream = new EventStream(redis, { key: streamKey, maxLength: 1000, signingKey }, (error) => { throw error })
  for (const deviceId of [POISON, POISON, 'phone-1']) stream.append(sessionEvent('login.failed', Date.now(), { deviceId, reason: 'bad_credentials' }))
  await stream.settled()
  const [first, second, later] = (await redis.xrange(streamKey, '-', '+')).map(([id]) => id)

  await waitFor(() => receiver.posts.some((post) => post.event.id === later), 'the event after the refused ones')
  await waitFor(async () => await redis.xlen(`${streamKey}:dead`) >= 2, 'both refused events dead-lettered')
  const order = receiver.posts.map((post) => post.event.id)
  const lastAttemptOfFirst = order.lastIndexOf(first ?? '')
  t.equal(order.filter((id) => id === first).length, MAX_ATTEMPTS, 'the parked event got its attempts')
  t.ok(order.indexOf(later ?? '') > lastAttemptOfFirst, 'the later event waited until the parked one settled and made room')
  t.equal(order.filter((id) => id === second).length, MAX_ATTEMPTS, 'the one refused in line got its attempts too')
  t.equal(order.filter((id) => id === later).length, 1, 'the later event was taken once')
  const [pending] = await redis.xpending(streamKey, 'webhook') as [number, ...unknown[]]
  t.equal(pending, 0, 'every entry is acknowledged')
})
