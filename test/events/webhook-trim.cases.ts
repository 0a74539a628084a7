import t from 'tap'
import { buildTestApp } from '../helpers/build-app.js'
import { LogCollector } from '../helpers/log-collector.js'
import { sample, scrape } from '../helpers/metrics.js'
import { startWebhookReceiver, waitFor } from '../helpers/webhook-receiver.js'

// The stream is capped: events the webhook has not posted yet can be trimmed away while the
// receiver is down. Each one is either posted or counted as trimmed, none vanishes unseen.

const STREAM = 'auth-events'
const MAX_LENGTH = 10
const BURST = 300
const TRIMMED = 'auth_events_trimmed_undelivered_total'

function fieldValue (reply: unknown[], name: string): unknown {
  const at = reply.indexOf(name)
  return at === -1 ? undefined : reply[at + 1]
}

t.test('events trimmed before the webhook posted them are counted and logged, and every other one is posted', async (t) => {
  let accepting = false
  const receiver = await startWebhookReceiver(t, (_post, response) => { response.writeHead(accepting ? 204 : 503).end() })
  const logs = new LogCollector()
  const { app } = await buildTestApp(t, {
    logStream: logs,
    env: {
      EVENTS_STREAM: STREAM,
      EVENTS_STREAM_MAXLEN: String(MAX_LENGTH),
      EVENTS_WEBHOOK_URL: receiver.url,
      EVENTS_WEBHOOK_SECRET: 'a-webhook-secret-of-at-least-32-characters',
      EVENTS_WEBHOOK_RETRY_MS: '10',
      METRICS: 'on'
    }
  })
  app.authEvents.sessionCreated({ userId: 1, sessionId: 'first' })
  await waitFor(() => receiver.posts.length > 0, 'the first event to be tried')
  // The receiver is down: the burst waits in the stream, which keeps only about MAX_LENGTH.
  for (let i = 0; i < BURST; i++) app.authEvents.sessionCreated({ userId: 1, sessionId: `burst-${i}` })
  await app.sessionEventsWritten()
  t.ok(await app.redis.xlen(STREAM) < BURST, 'the cap trimmed the stream')
  accepting = true

  const appended = Number(fieldValue(await app.redis.xinfo('STREAM', STREAM) as unknown[], 'entries-added'))
  t.equal(appended, BURST + 1)
  const delivered = (): string[] => [...new Set(receiver.posts.slice(1).map((post) => post.event.id))]
  const accounted = async (): Promise<number> => delivered().length + sample(await scrape(app), TRIMMED)
  await waitFor(async () => await accounted() >= appended, 'every event posted or counted as trimmed')
  const trimmed = sample(await scrape(app), TRIMMED)
  t.ok(trimmed > 0, `${trimmed} events counted as trimmed`)
  t.equal(delivered().length + trimmed, appended, 'each event was either posted or counted, once')
  const ids = delivered()
  t.same(ids, [...ids].sort((a, b) => Number(a.split('-')[0]) - Number(b.split('-')[0]) || Number(a.split('-')[1]) - Number(b.split('-')[1])), 'in order')
  const lastId = ids.at(-1)
  const [lastEntry] = await app.redis.xrevrange(STREAM, '+', '-', 'COUNT', 1)
  t.equal(lastId, lastEntry?.[0], 'the latest event was posted')
  const warned = logs.lines<{ msg?: string, count?: number }>().filter((line) => line.msg?.includes('trimmed') === true)
  t.ok(warned.length > 0, 'and logged')
})
