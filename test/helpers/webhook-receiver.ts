import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import type { TestContext } from './build-app.js'

const WAIT_LIMIT_MS = 10_000
const POLL_MS = 10

export interface ReceivedPost {
  headers: IncomingHttpHeaders
  body: string
  // The body parsed: the event and its stream entry id.
  event: { id: string, type: string, deviceId: string | null, [field: string]: unknown }
}

export interface WebhookReceiver {
  url: string
  // Every POST it was sent, in order, whatever it answered.
  posts: ReceivedPost[]
}

// A webhook receiver on a free port of the loopback: `answer` writes the reply to each POST.
export async function startWebhookReceiver (
  t: TestContext, answer: (post: ReceivedPost, response: ServerResponse) => void = (_post, response) => { response.writeHead(204).end() }
): Promise<WebhookReceiver> {
  const posts: ReceivedPost[] = []
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      const post: ReceivedPost = { headers: request.headers, body, event: JSON.parse(body) as ReceivedPost['event'] }
      posts.push(post)
      answer(post, response)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => server.close())
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}/hooks/auth`, posts }
}

// Polls `condition` until it holds, or throws after a generous ceiling.
export async function waitFor (condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_LIMIT_MS
  while (!await condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(POLL_MS)
  }
}
