import type { FastifyInstance } from 'fastify'
import { setTimeout as sleep } from 'node:timers/promises'

const NOTICE_LIMIT_MS = 10_000
const POLL_MS = 10

// After Redis went away: returns once the app has noticed, so that its near-cache (if on) no
// longer answers. Until the socket's close is read, cached sessions are still served, which is
// harmless (a dead Redis revokes nothing) but would make an outage test's first answers a 200.
export async function nearCacheNoticedOutage (app: FastifyInstance): Promise<void> {
  const deadline = Date.now() + NOTICE_LIMIT_MS
  while (app.nearCache?.enabled === true) {
    if (Date.now() > deadline) throw new Error('the near-cache did not notice the outage')
    await sleep(POLL_MS)
  }
}
