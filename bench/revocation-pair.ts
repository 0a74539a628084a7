import type { NearCacheMode } from './our-server.js'
import { measureRevocationLatency, type RevocationLatency } from './revocation-latency.js'
import { keyPrefixFor, startOurServer, type BenchContext } from './setup.js'

export interface RevocationRow {
  nearCache: NearCacheMode
  result: RevocationLatency
}

// Two instances of our server on the same Redis (or Redis Cluster) and key prefix, as behind a
// load balancer. `purpose` names them and their key prefix.
export async function measureRevocationBetweenInstances (
  context: BenchContext, nearCache: NearCacheMode, trials: number, purpose = 'revocation'
): Promise<RevocationRow> {
  const keyPrefix = keyPrefixFor('sliding', nearCache, purpose)
  const a = await startOurServer(context, `${purpose}-a-${nearCache}`, { strategy: 'sliding', nearCache, keyPrefix })
  const b = await startOurServer(context, `${purpose}-b-${nearCache}`, { strategy: 'sliding', nearCache, keyPrefix })
  try {
    return { nearCache, result: await measureRevocationLatency(a.url, b.url, context.accounts, trials) }
  } finally {
    await Promise.all([a.stop(), b.stop()])
  }
}
