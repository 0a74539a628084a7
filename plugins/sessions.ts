import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { hkdfSync } from 'node:crypto'
import { PostgresRefreshTokenStore } from '../src/refresh/postgres-refresh-token-store.js'
import { RedisRefreshTokenStore } from '../src/refresh/redis-refresh-token-store.js'
import { RefreshService } from '../src/refresh/refresh-service.js'
import type { RefreshTokenStore } from '../src/refresh/refresh-token-store.js'
import { InvalidationTracker } from '../src/redis/invalidation-tracker.js'
import { NearCache } from '../src/sessions/near-cache.js'
import { NearCachedSessionStore } from '../src/sessions/near-cached-session-store.js'
import { RedisSessionStore } from '../src/sessions/redis-session-store.js'
import { sessionKeys } from '../src/sessions/session-keys.js'
import type { SessionStore } from '../src/sessions/session-store.js'
import { SessionService } from '../src/sessions/session-service.js'
import { refreshPolicyOf, refreshTokensInPostgres, sessionPolicyOf } from '../src/config/session-policies.js'

declare module 'fastify' {
  interface FastifyInstance {
    sessions: SessionService
    // Set with AUTH_STRATEGY=refresh only.
    refreshTokens: RefreshService | null
    // Set with NEAR_CACHE=on: its state, for readiness and tests.
    nearCache: NearCacheStatus | null
  }
}

export interface NearCacheStatus {
  // False while invalidations could be missed (no tracking connection): every touch goes to Redis.
  readonly enabled: boolean
  readonly size: number
  // Resolves once invalidations for every change Redis made so far have been applied.
  sync: () => Promise<void>
}

const MS_PER_SECOND = 1000
const EXPIRED_TOKEN_SWEEP_MS = 60 * 60 * 1000
const SUCCESSOR_KEY_BYTES = 32

export default fp(async (fastify) => {
  const { config, redis } = fastify
  const redisSessionStore = new RedisSessionStore(redis, {
    keyPrefix: config.REDIS_KEY_PREFIX,
    fallbackTombstoneTtlMs: config.SESSION_TTL * MS_PER_SECOND
  })
  const nearCache = config.NEAR_CACHE === 'on' ? await startNearCache(fastify) : null
  fastify.decorate('nearCache', nearCache === null ? null : nearCache.status)
  const sessionStore = nearCache === null
    ? redisSessionStore
    : new NearCachedSessionStore(redisSessionStore, nearCache.cache, nearCache.tracker, config.REDIS_KEY_PREFIX,
      (error) => fastify.log.warn({ err: error }, 'could not touch a cached session'))

  const refreshKey = successorKey(config.JWT_SECRET)
  let refreshStore: RefreshTokenStore | undefined
  if (refreshTokensInPostgres(config)) {
    const postgresStore = new PostgresRefreshTokenStore(fastify.db, sessionStore)
    const sweep = setInterval(() => {
      postgresStore.deleteExpired().catch((error: unknown) => fastify.log.warn({ err: error }, 'could not delete expired refresh tokens'))
    }, EXPIRED_TOKEN_SWEEP_MS).unref()
    fastify.addHook('onClose', async () => clearInterval(sweep))
    refreshStore = postgresStore
  } else if (config.AUTH_STRATEGY === 'refresh') {
    refreshStore = new RedisRefreshTokenStore(redis, sessionStore, refreshKey, config.REDIS_KEY_PREFIX)
  }

  fastify.decorate('sessions', new SessionService(sessionStore, sessionPolicyOf(config), refreshStore))
  fastify.decorate('refreshTokens', refreshStore === undefined
    ? null
    : new RefreshService(refreshStore, refreshKey, refreshPolicyOf(config)))
}, { name: 'sessions', dependencies: ['config', 'redis', 'database'] })

// Sessions answered from this instance's memory, invalidated by Redis through a connection of its own.
async function startNearCache (fastify: FastifyInstance): Promise<{ cache: NearCache, tracker: InvalidationTracker, status: NearCacheStatus }> {
  const { config, log } = fastify
  const cache = new NearCache(config.NEAR_CACHE_MAX_ENTRIES)
  const connection = fastify.redis.duplicate({ protocol: 2, autoResubscribe: false, lazyConnect: true })
  const tracker = new InvalidationTracker(connection, sessionKeys(config.REDIS_KEY_PREFIX).sessionPrefixAll, cache, log)
  fastify.addHook('onClose', async () => await tracker.close())
  await tracker.connect()
  const status: NearCacheStatus = {
    get enabled () { return cache.isEnabled },
    get size () { return cache.size },
    sync: async () => await tracker.sync()
  }
  return { cache, tracker, status }
}

// A key of its own for deriving successor refresh tokens, so the JWT key signs JWTs only.
function successorKey (jwtSecret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', jwtSecret, '', 'refresh-token-successor', SUCCESSOR_KEY_BYTES))
}
