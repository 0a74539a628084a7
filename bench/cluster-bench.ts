import { measureClusterComparison } from './cluster-comparison.js'
import { openBenchCluster } from './redis-cluster.js'
import { clusterSection } from './report.js'
import { runStandalone } from './standalone.js'

// npm run bench:cluster: the Redis Cluster vs one Redis phase of `npm run bench` alone, printed
// rather than written into BENCHMARKS.md. The same BENCH_* settings apply; REDIS_CLUSTER_NODES
// names a cluster to use instead of starting one.

await runStandalone(async ({ settings, redis, context }) => {
  const cluster = await openBenchCluster()
  const comparison = await measureClusterComparison(context, redis.admin, cluster, settings)
  return clusterSection(comparison, settings.connections)
})
