import { Cluster, Redis, type ClusterNode, type RedisOptions } from 'ioredis'
import type { RedisClient } from './redis-client.js'

// Where the sessions are: one Redis (REDIS_URL), or a Redis Cluster (REDIS_CLUSTER_NODES, seed
// nodes that share REDIS_USERNAME and REDIS_PASSWORD), by the server's setting names.
export interface RedisConnectionSettings {
  REDIS_URL: string
  REDIS_CLUSTER_NODES?: string
  REDIS_USERNAME?: string
  REDIS_PASSWORD?: string
}

// Kept well below a request's budget: a failover is answered 503 while it lasts, not queued.
const CLUSTER_RETRY_DELAY_MS = 100
const CLUSTER_SLOTS_REFRESH_TIMEOUT_MS = 1000

export function isCluster (settings: RedisConnectionSettings): boolean {
  return settings.REDIS_CLUSTER_NODES !== undefined
}

// A client by the settings, with `options` for every connection it makes (the cluster's options
// are derived from them: offline queue, lazy connect, reconnection).
export function newRedisClient (settings: RedisConnectionSettings, options: RedisOptions): RedisClient {
  if (settings.REDIS_CLUSTER_NODES === undefined) return new Redis(settings.REDIS_URL, options)
  const { enableOfflineQueue, lazyConnect, retryStrategy, ...nodeOptions } = options
  return new Cluster(clusterNodes(settings.REDIS_CLUSTER_NODES), {
    redisOptions: { ...nodeOptions, username: settings.REDIS_USERNAME, password: settings.REDIS_PASSWORD },
    enableOfflineQueue,
    lazyConnect,
    // The cluster, not each node connection, reconnects: the seed nodes are asked again.
    clusterRetryStrategy: retryStrategy,
    retryDelayOnFailover: CLUSTER_RETRY_DELAY_MS,
    retryDelayOnClusterDown: CLUSTER_RETRY_DELAY_MS,
    retryDelayOnTryAgain: CLUSTER_RETRY_DELAY_MS,
    slotsRefreshTimeout: CLUSTER_SLOTS_REFRESH_TIMEOUT_MS
  })
}

// For messages: the host and port (or the seed nodes), never the credentials a URL may carry.
export function redisLocation (settings: RedisConnectionSettings): string {
  if (settings.REDIS_CLUSTER_NODES !== undefined) return `the Redis Cluster at ${settings.REDIS_CLUSTER_NODES}`
  return `Redis at ${new URL(settings.REDIS_URL).host}`
}

function clusterNodes (nodes: string): ClusterNode[] {
  return nodes.split(',').map((node) => {
    const separator = node.lastIndexOf(':')
    // Brackets mark an IPv6 address in the setting; the socket wants it bare.
    const host = node.slice(0, separator).replace(/^\[(.*)\]$/, '$1')
    return { host, port: Number(node.slice(separator + 1)) }
  })
}
