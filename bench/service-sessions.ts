import { newServiceKey, serviceKeyEntry } from '../src/service-keys/service-key.js'
import { forEachConcurrently } from './sessions.js'

// Many live sessions on an instance without argon2: each started through POST /service/sessions
// for a user of its own, then used once with GET /auth/me, as a user's first request after signing
// in, so the instance holds it in its near-cache. Real logins run at ~60/s on 2 cores (half an
// hour for 100 000); this runs at thousands a second.

export interface BenchServiceKey {
  // What the bench sends as `Authorization: Bearer`.
  key: string
  // The server's SERVICE_KEYS: the key's entry alone, allowed to start sessions.
  serviceKeys: string
}

// Enough requests in flight to keep the server's event loop busy through the round trips,
// few enough that the machine's other work is not starved of sockets.
const FILL_IN_FLIGHT = 50

export function benchServiceKey (): BenchServiceKey {
  const key = newServiceKey()
  return { key, serviceKeys: JSON.stringify([serviceKeyEntry('bench', key, ['sessions:start'])]) }
}

// The users are `<userIdPrefix><n>`, n from 1 to count: distinct, so no per-user cap applies.
export async function warmServiceSessions (serverUrl: string, serviceKey: string, count: number, userIdPrefix = 'bench-service-'): Promise<void> {
  const userIds = Array.from({ length: count }, (_, i) => `${userIdPrefix}${i + 1}`)
  await forEachConcurrently(userIds, async (userId) => {
    const started = await fetch(`${serverUrl}/service/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${serviceKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ userId })
    })
    if (started.status !== 201) throw new Error(`POST /service/sessions for ${userId}: ${started.status} ${await started.text()}`)
    const { token } = await started.json() as { token: string }
    const me = await fetch(`${serverUrl}/auth/me`, { headers: { token } })
    await me.body?.cancel()
    if (me.status !== 200) throw new Error(`GET /auth/me with a new service session answered ${me.status}`)
  }, FILL_IN_FLIGHT)
}
