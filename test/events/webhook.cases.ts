import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { EVENT_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyWebhookSignature } from '../../src/events/webhook-signature.js'
import { buildTestApp } from '../helpers/build-app.js'
import { streamedEvents } from '../helpers/session-events.js'
import { createUser, logIn } from '../helpers/sessions.js'

// The webhook as a receiver sees it: signed POSTs, one event each, in the stream's order, every
// event once, even when the receiver refuses the first attempts.

const SECRET = 'a-webhook-secret-of-at-least-32-characters'
const REFUSED_ATTEMPTS = 3
const WAIT_LIMIT_MS = 10_000
// Long enough for a duplicate to arrive, were there one: several retry delays.
const DUPLICATE_WAIT_MS = 300

interface Received {
  id: string
  headerId: string
  type: string
  signed: boolean
  forgedRefused: boolean
}

async function bodyOf (request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

t.test('a receiver failing the first attempts still gets every event once, in order, signed', async (t) => {
  const accepted: Received[] = []
  let attempts = 0
  const receiver = createServer((request, response) => {
    void bodyOf(request).then((body) => {
      attempts++
      const signature = String(request.headers[SIGNATURE_HEADER])
      const timestamp = String(request.headers[TIMESTAMP_HEADER])
      const event = JSON.parse(body) as { id: string, type: string }
      const signed = verifyWebhookSignature(SECRET, { signature, timestamp, body }, Date.now())
      const forgedRefused = !verifyWebhookSignature(SECRET, { signature, timestamp, body: body.replace('"type"', '"Type"') }, Date.now())
      if (attempts <= REFUSED_ATTEMPTS) {
        response.writeHead(503).end()
        return
      }
      accepted.push({ id: event.id, headerId: String(request.headers[EVENT_ID_HEADER]), type: event.type, signed, forgedRefused })
      response.writeHead(204).end()
    })
  })
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
  t.teardown(() => receiver.close())
  const { port } = receiver.address() as AddressInfo

  const { app } = await buildTestApp(t, {
    env: {
      EVENTS_STREAM: 'auth-events',
      EVENTS_WEBHOOK_URL: `http://127.0.0.1:${port}/hooks/auth`,
      EVENTS_WEBHOOK_SECRET: SECRET,
      EVENTS_WEBHOOK_RETRY_MS: '10'
    }
  })
  const login = await logIn(app, await createUser(app))
  const logout = await app.inject({ method: 'POST', url: '/auth/logout', headers: { token: login.token } })
  t.equal(logout.statusCode, 200)

  const streamed = await streamedEvents(app)
  t.same(streamed.map((event) => event.type), ['session.created', 'login.succeeded', 'session.ended'])
  const deadline = Date.now() + WAIT_LIMIT_MS
  while (accepted.length < streamed.length && Date.now() < deadline) await sleep(10)
  await sleep(DUPLICATE_WAIT_MS)

  t.same(accepted.map((event) => [event.id, event.type]), streamed.map((event) => [event.id, event.type]), 'each event once, in order')
  t.same(accepted.map((event) => event.headerId), streamed.map((event) => event.id), 'the id header names the stream entry')
  t.ok(accepted.every((event) => event.signed), 'every POST carries a valid signature')
  t.ok(accepted.every((event) => event.forgedRefused), 'a changed body fails the check')
  t.equal(attempts, REFUSED_ATTEMPTS + streamed.length, 'the refused attempts were retried, the accepted ones not')
  const pending = await app.redis.xpending('auth-events', 'webhook') as [number, ...unknown[]]
  t.equal(pending[0], 0, 'every delivered event is acknowledged')
})

t.test('the webhook requires the stream and a secret', async (t) => {
  const url = 'http://127.0.0.1:9/hooks'
  await t.rejects(buildTestApp(t, { env: { EVENTS_WEBHOOK_URL: url, EVENTS_WEBHOOK_SECRET: SECRET } }), /EVENTS_WEBHOOK_URL requires EVENTS_STREAM/)
  await t.rejects(buildTestApp(t, { env: { EVENTS_WEBHOOK_URL: url, EVENTS_STREAM: 'auth-events' } }), /EVENTS_WEBHOOK_URL requires EVENTS_WEBHOOK_SECRET/)
})
