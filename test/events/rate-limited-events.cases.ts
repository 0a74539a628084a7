import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { buildTestApp } from '../helpers/build-app.js'
import { moved, scrape } from '../helpers/metrics.js'
import { RedisServer } from '../helpers/redis-server.js'
import { streamedEvents, type StreamedEvent } from '../helpers/session-events.js'
import { createUser, type TestUser } from '../helpers/sessions.js'

// Refused logins are what one unauthenticated client can send as fast as it likes: they must
// not flood the capped stream. Each budget and key tells one rate_limited event per window, with
// the count of the refusals it stands for, and a login refused again is not told again.

const STREAM = 'auth-events'
const REFUSED = 300
const CONCURRENT = 20
const WRONG_PASSWORD = 'not the password at all'

async function attempt (app: FastifyInstance, user: Pick<TestUser, 'account'>): Promise<number> {
  const response = await app.inject({ method: 'POST', url: '/auth/login', payload: { account: user.account, password: WRONG_PASSWORD } })
  return response.statusCode
}

function summary (events: readonly StreamedEvent[]): Array<[string, string | null, number | null]> {
  return events.map((event) => [event.type, event.reason, event.count])
}

t.test(`${REFUSED} refused logins from one client make three stream entries, not ${2 * REFUSED}`, async (t) => {
  const { app } = await buildTestApp(t, { env: { EVENTS_STREAM: STREAM, RATE_LIMIT_LOGIN_ACCOUNT_IP: '1', METRICS: 'on' } })
  const before = await scrape(app)
  const user = await createUser(app)
  t.equal(await attempt(app, user), 401)
  const statuses: number[] = []
  for (let sent = 0; sent < REFUSED; sent += CONCURRENT) {
    statuses.push(...await Promise.all(Array.from({ length: CONCURRENT }, async () => await attempt(app, user))))
  }
  t.ok(statuses.every((status) => status === 429), 'every one refused')

  const events = await streamedEvents(app)
  t.same(summary(events), [
    ['login.failed', 'bad_credentials', null],
    ['rate_limited', 'login_account_ip', 1],
    ['login.failed', 'rate_limited', null]
  ], 'the first refusal is told, with its count; the others are counted for the next one')
  const after = await scrape(app)
  t.equal(moved(before, after, 'auth_rate_limit_refusals_total{bucket="login_account_ip"}'), REFUSED, 'the metrics still count every refusal')
  t.equal(moved(before, after, 'auth_logins_total{result="rate_limited"}'), REFUSED)
})

t.test("the refusals of a window are counted in the next window's event: the counts add up to every refusal", async (t) => {
  const { app } = await buildTestApp(t, { env: { EVENTS_STREAM: STREAM, RATE_LIMIT_LOGIN_ACCOUNT_IP: '1', RATE_LIMIT_WINDOW: '1' } })
  const user = await createUser(app)
  let refused = 0
  let windows = 0
  // A 429 right after a 401 opens a window's refusals (with a budget of 1, a window's first
  // attempt is checked, answered 401); the run ends on one, so every refusal has been told.
  for (let previous = 0; windows < 3;) {
    const status = await attempt(app, user)
    if (status === 429) refused++
    if (status === 429 && previous === 401) windows++
    previous = status
  }
  const events = await streamedEvents(app)
  const limited = events.filter((event) => event.type === 'rate_limited')
  t.equal(limited.length, windows, 'one rate_limited event per window with refusals')
  t.equal(limited.reduce((sum, event) => sum + (event.count ?? 0), 0), refused, 'whose counts add up to every refusal')
  t.equal(limited[0]?.count, 1, "the first window's event counts its first refusal")
  t.equal(events.filter((event) => event.type === 'login.failed' && event.reason === 'rate_limited').length, windows, 'one login.failed per told refusal')
  t.ok(events.filter((event) => event.type !== 'rate_limited').every((event) => event.count === null), 'other events carry count null')
})

t.test('two instances sharing Redis, refusing the same client at once, tell one event between them', async (t) => {
  const redisServer = await RedisServer.start()
  t.teardown(async () => await redisServer.destroy())
  const env = { EVENTS_STREAM: STREAM, RATE_LIMIT_LOGIN_ACCOUNT_IP: '1' }
  const instances = await Promise.all([1, 2].map(async () => (await buildTestApp(t, { redisServer, env })).app))
  const [first, second] = instances
  if (first === undefined || second === undefined) throw new Error('no instance')
  // Each instance has a database of its own: an account neither knows fails alike on both.
  const stranger = { account: 'nobody-at-all@example.com' }
  t.equal(await attempt(first, stranger), 401)
  const statuses: number[] = []
  for (let sent = 0; sent < REFUSED; sent += CONCURRENT) {
    statuses.push(...await Promise.all(Array.from({ length: CONCURRENT }, async (_, i) => await attempt(i % 2 === 0 ? first : second, stranger))))
  }
  t.ok(statuses.every((status) => status === 429), 'every one refused')
  await second.sessionEventsWritten()
  t.same(summary(await streamedEvents(first)), [
    ['login.failed', 'bad_credentials', null],
    ['rate_limited', 'login_account_ip', 1],
    ['login.failed', 'rate_limited', null]
  ], 'one refusal told, by whichever instance had it')
})
