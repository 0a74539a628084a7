import { measureClusterRevocation } from './cluster-comparison.js'
import { openBenchCluster } from './redis-cluster.js'
import { clusterRevocationTable } from './report.js'
import { keyPrefixFor, startOurServer } from './setup.js'
import { runStandalone } from './standalone.js'

// node dist/bench/revocation-bench.js: the revocation part of the Redis Cluster phase alone (a
// logout on instance A, and how soon instance B refuses the token, near-cache on), on the
// bench's one Redis and on a Redis Cluster, without the throughput rounds before it.

await runStandalone(async ({ settings, context }) => {
  // The first of our servers registers the bench's accounts (startOurServer).
  const first = await startOurServer(context, 'ours-on', { strategy: 'sliding', nearCache: 'on', keyPrefix: keyPrefixFor('sliding', 'on', 'accounts') })
  await first.stop()
  const cluster = await openBenchCluster()
  return clusterRevocationTable(await measureClusterRevocation(context, cluster, settings))
})
