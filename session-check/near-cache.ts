import type { FastifyBaseLogger } from 'fastify'
import { Cluster } from 'ioredis'
import { ClusterInvalidationTracker } from '../src/redis/cluster-invalidation-tracker.js'
import { InvalidationTracker, type TrackerLog } from '../src/redis/invalidation-tracker.js'
import type { RedisClient } from '../src/redis/redis-client.js'
import { NearCache, type NearCacheCounts } from '../src/sessions/near-cache.js'
import { NearCachedSessionStore } from '../src/sessions/near-cached-session-store.js'
import type { RedisSessionStore } from '../src/sessions/redis-session-store.js'
import { sessionKeys } from '../src/sessions/session-keys.js'

export interface NearCacheStatus {
  // False while invalidations could be missed (no tracking connection): every touch goes to Redis.
  readonly enabled: boolean
  readonly size: number
  // Hits, misses, invalidations, flushes and evictions since start (for metrics).
  readonly counts: Readonly<NearCacheCounts>
  // Resolves once invalidations for every change Redis made so far have been applied.
  sync: () => Promise<void>
}

export interface StartedNearCache {
  store: NearCachedSessionStore
  status: NearCacheStatus
  close: () => Promise<void>
}

export interface NearCacheSettings {
  NEAR_CACHE_MAX_ENTRIES: number
  REDIS_KEY_PREFIX: string
}

// Sessions answered from this instance's memory, invalidated by Redis through a connection of its own.
export async function startNearCache (
  redis: RedisClient, redisStore: RedisSessionStore, settings: NearCacheSettings, log: FastifyBaseLogger
): Promise<StartedNearCache> {
  const cache = new NearCache(settings.NEAR_CACHE_MAX_ENTRIES)
  const tracker = invalidationTracker(redis, sessionKeys(settings.REDIS_KEY_PREFIX).sessionPrefixAll, cache, log)
  // Never throws: without tracking the cache stays off, and turns on once tracking starts.
  await tracker.connect()
  const store = new NearCachedSessionStore(redisStore, cache, tracker, settings.REDIS_KEY_PREFIX,
    (error) => log.warn({ err: error }, 'could not touch a cached session'))
  const status: NearCacheStatus = {
    get enabled () { return cache.isEnabled },
    get size () { return cache.size },
    counts: cache.counts,
    sync: async () => await tracker.sync()
  }
  return { store, status, close: async () => await tracker.close() }
}

// One tracking connection, or on a cluster one per master.
function invalidationTracker (
  redis: RedisClient, keyPrefix: string, cache: NearCache, log: TrackerLog
): InvalidationTracker | ClusterInvalidationTracker {
  if (redis instanceof Cluster) return new ClusterInvalidationTracker(redis, keyPrefix, cache, log)
  return new InvalidationTracker(redis.duplicate({ protocol: 2, autoResubscribe: false, lazyConnect: true }), keyPrefix, cache, log)
}
