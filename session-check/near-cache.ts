import type { FastifyBaseLogger } from 'fastify'
import type { Redis } from 'ioredis'
import { InvalidationTracker } from '../src/redis/invalidation-tracker.js'
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
  redis: Redis, redisStore: RedisSessionStore, settings: NearCacheSettings, log: FastifyBaseLogger
): Promise<StartedNearCache> {
  const cache = new NearCache(settings.NEAR_CACHE_MAX_ENTRIES)
  const connection = redis.duplicate({ protocol: 2, autoResubscribe: false, lazyConnect: true })
  const tracker = new InvalidationTracker(connection, sessionKeys(settings.REDIS_KEY_PREFIX).sessionPrefixAll, cache, log)
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
