import { Cluster, Redis, type RedisOptions } from 'ioredis'
import type { RedisClient } from './redis-client.js'
import { clusterAddressOptions, redisTlsOptions, type RedisTlsSettings } from './redis-tls.js'

// Where the sessions are: one Redis (REDIS_URL), or a Redis Cluster (REDIS_CLUSTER_NODES, seed
// nodes that share REDIS_USERNAME and REDIS_PASSWORD), by the server's setting names; and how
// to reach it (TLS, and a managed cluster's address translation: redis-tls.ts).
export interface RedisConnectionSettings extends RedisTlsSettings {
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

const SEED_PROBE_TIMEOUT_MS = 2000

// Why a cluster could not be reached, when it says only "None of startup nodes is available"
// (ioredis asks the seeds for the slots on connections whose errors it drops): the first seed's
// own error (a refused connection, a certificate that does not verify, a wrong password), by
// one connection with the options every node connection gets.
export async function seedNodeError (settings: RedisConnectionSettings): Promise<string | undefined> {
  const [seed] = clusterNodes(settings.REDIS_CLUSTER_NODES ?? '')
  if (seed === undefined) return undefined
  const tls = redisTlsOptions(settings)
  const probe = new Redis({
    ...seed,
    username: settings.REDIS_USERNAME,
    password: settings.REDIS_PASSWORD,
    ...(tls === undefined ? {} : { tls }),
    lazyConnect: true,
    connectTimeout: SEED_PROBE_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null
  })
  let firstError: Error | undefined
  probe.on('error', (error: Error) => { firstError ??= error })
  try {
    await probe.connect()
    await probe.call('CLUSTER', 'INFO')
    return undefined
  } catch (error) {
    return `${seed.host}:${seed.port}: ${(firstError ?? error as Error).message}`
  } finally {
    probe.disconnect()
  }
}

// A client by the settings, with `options` for every connection it makes (the cluster's options
// are derived from them: offline queue, lazy connect, reconnection). Every connection it opens
// has the same TLS options, and so has every connection opened from one of its nodes' options
// (cluster-masters.ts) or by duplicate(): there is no plain-text side channel.
export function newRedisClient (settings: RedisConnectionSettings, options: RedisOptions): RedisClient {
  if (settings.REDIS_CLUSTER_NODES === undefined) return newSingleRedis(settings, options)
  const tls = redisTlsOptions(settings)
  const { enableOfflineQueue, lazyConnect, retryStrategy, ...nodeOptions } = options
  return new Cluster(clusterNodes(settings.REDIS_CLUSTER_NODES), {
    redisOptions: { ...nodeOptions, username: settings.REDIS_USERNAME, password: settings.REDIS_PASSWORD, ...(tls === undefined ? {} : { tls }) },
    ...clusterAddressOptions(settings),
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

// A connection to the one Redis of REDIS_URL, with its TLS options.
export function newSingleRedis (settings: RedisConnectionSettings, options: RedisOptions): Redis {
  const tls = redisTlsOptions(settings)
  return new Redis(settings.REDIS_URL, { ...options, ...(tls === undefined ? {} : { tls }) })
}

// For messages: the host and port (or the seed nodes), never the credentials a URL may carry.
export function redisLocation (settings: RedisConnectionSettings): string {
  if (settings.REDIS_CLUSTER_NODES !== undefined) return `the Redis Cluster at ${settings.REDIS_CLUSTER_NODES}`
  return `Redis at ${new URL(settings.REDIS_URL).host}`
}

function clusterNodes (nodes: string): Array<{ host: string, port: number }> {
  return nodes.split(',').map((node) => {
    // The scheme has said what it had to (wantsTls).
    const address = node.replace(/^rediss?:\/\//i, '')
    const separator = address.lastIndexOf(':')
    // Brackets mark an IPv6 address in the setting; the socket wants it bare.
    const host = address.slice(0, separator).replace(/^\[(.*)\]$/, '$1')
    return { host, port: Number(address.slice(separator + 1)) }
  })
}
