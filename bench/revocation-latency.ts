import { performance } from 'node:perf_hooks'
import { Pool } from 'undici'
import { percentile } from './stats.js'
import { BENCH_PASSWORD } from './sessions.js'

// How long after a logout on instance A does instance B refuse the token? Per trial: log in
// on A, use the token on B (so B has seen the session), log out on A, then from the moment
// A's answer arrives, ask B one request at a time over a kept-alive connection until it
// answers 401.

export interface RevocationLatency {
  trials: number
  p50Ms: number
  p99Ms: number
  maxMs: number
  // Requests B still answered 200 after A's logout answer arrived, over all trials.
  acceptedAfterLogout: number
  trialsWithAcceptedRequests: number
}

// A trial that has not seen a 401 by then is a broken revocation, not a slow one.
const GIVE_UP_MS = 5_000

interface Answer {
  status: number
  body: string
}

async function send (pool: Pool, method: 'GET' | 'POST', path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  const response = await pool.request({ method, path, headers, body })
  return { status: response.statusCode, body: await response.body.text() }
}

async function expectStatus (answer: Promise<Answer>, status: number, what: string): Promise<Answer> {
  const { status: actual, body } = await answer
  if (actual !== status) throw new Error(`${what}: expected ${status}, got ${actual} ${body}`)
  return { status: actual, body }
}

export async function measureRevocationLatency (urlA: string, urlB: string, accounts: string[], trials: number): Promise<RevocationLatency> {
  const a = new Pool(urlA, { connections: 1 })
  const b = new Pool(urlB, { connections: 1 })
  try {
    const latencies: number[] = []
    let acceptedAfterLogout = 0
    let trialsWithAcceptedRequests = 0
    for (let trial = 0; trial < trials; trial++) {
      const account = accounts[trial % accounts.length] ?? ''
      const login = await expectStatus(send(a, 'POST', '/auth/login', { 'content-type': 'application/json' }, JSON.stringify({ account, password: BENCH_PASSWORD })), 200, 'login on A')
      const headers = { token: (JSON.parse(login.body) as { token: string }).token }
      await expectStatus(send(b, 'GET', '/auth/me', headers), 200, 'first request on B')
      await expectStatus(send(a, 'POST', '/auth/logout', headers), 200, 'logout on A')
      const loggedOutAt = performance.now()
      let accepted = 0
      for (;;) {
        const { status } = await send(b, 'GET', '/auth/me', headers)
        const elapsed = performance.now() - loggedOutAt
        if (status === 401) {
          latencies.push(elapsed)
          break
        }
        if (status !== 200) throw new Error(`B answered ${status} while waiting for the revocation`)
        accepted++
        if (elapsed > GIVE_UP_MS) throw new Error(`B still accepted a revoked token ${GIVE_UP_MS} ms after the logout`)
      }
      acceptedAfterLogout += accepted
      if (accepted > 0) trialsWithAcceptedRequests++
    }
    return {
      trials,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      maxMs: Math.max(...latencies),
      acceptedAfterLogout,
      trialsWithAcceptedRequests
    }
  } finally {
    await Promise.all([a.close(), b.close()])
  }
}
