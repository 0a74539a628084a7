import { setTimeout as sleep } from 'node:timers/promises'

// JSON over HTTP to the processes of the package test, with the session token in the `token`
// header, and the wait for another process to refuse an ended session.

// Another process hears of an ended session through Redis' invalidation message: milliseconds,
// bounded far above that, so that a test process starved of CPU is not mistaken for a lost message.
const INVALIDATION_BOUND_MS = 10_000
const POLL_MS = 10

export interface Answer<Body> { status: number, body: Body, headers: Headers }
export interface ErrorBody { code: 0, errorCode: string, info: string, reason?: string }

// The answer's body as the route documents it; a refusal's is an ErrorBody.
export async function call<Body = ErrorBody> (url: string, options: { method?: string, token?: string, body?: object } = {}): Promise<Answer<Body>> {
  const response = await fetch(url, {
    method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
    headers: {
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(options.token === undefined ? {} : { token: options.token })
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body)
  })
  return { status: response.status, body: await response.json() as Body, headers: response.headers }
}

// Polls `request` while it answers 200, up to the invalidation bound: an ended session is
// refused once the message reaches the other process.
export async function refusedSoon (request: () => Promise<Answer<unknown>>): Promise<Answer<unknown>> {
  const endedAt = Date.now()
  let answer = await request()
  while (answer.status === 200 && Date.now() - endedAt < INVALIDATION_BOUND_MS) {
    await sleep(POLL_MS)
    answer = await request()
  }
  return answer
}
