import fp from 'fastify-plugin'
import { hkdfSync } from 'node:crypto'
import type { NearCacheStatus } from '../session-check/index.js'
import { PostgresRefreshTokenStore } from '../src/refresh/postgres-refresh-token-store.js'
import { RedisRefreshTokenStore } from '../src/refresh/redis-refresh-token-store.js'
import { RefreshService } from '../src/refresh/refresh-service.js'
import type { RefreshTokenStore } from '../src/refresh/refresh-token-store.js'
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

const EXPIRED_TOKEN_SWEEP_MS = 60 * 60 * 1000
const SUCCESSOR_KEY_BYTES = 32

// The whole session engine over the store the session check uses (and its near-cache): logins,
// logouts and refresh tokens, which only the auth server handles.
export default fp(async (fastify) => {
  const { config, redis } = fastify
  const { clock } = fastify.sessionCheck
  const sessionStore = fastify.sessionCheck.store
  fastify.decorate('nearCache', fastify.sessionCheck.nearCache)

  let refreshStore: RefreshTokenStore | undefined
  if (refreshTokensInPostgres(config)) {
    const postgresStore = new PostgresRefreshTokenStore(fastify.db, sessionStore)
    const sweep = setInterval(() => {
      postgresStore.deleteExpired().catch((error: unknown) => fastify.log.warn({ err: error }, 'could not delete expired refresh tokens'))
    }, EXPIRED_TOKEN_SWEEP_MS).unref()
    fastify.addHook('onClose', async () => clearInterval(sweep))
    refreshStore = postgresStore
  } else if (config.AUTH_STRATEGY === 'refresh') {
    refreshStore = new RedisRefreshTokenStore(redis, sessionStore, successorKey(config.refreshTokenSecret), config.REDIS_KEY_PREFIX)
  }

  const { authEvents } = fastify
  fastify.decorate('sessions', new SessionService(sessionStore, sessionPolicyOf(config), refreshStore, clock, authEvents))
  fastify.decorate('refreshTokens', refreshStore === undefined
    ? null
    : new RefreshService(refreshStore, successorKey(config.refreshTokenSecret), refreshPolicyOf(config), clock, authEvents))
}, { name: 'sessions', dependencies: ['config', 'redis', 'database', 'session-check', 'events'] })

// The key successor refresh tokens are derived with, from REFRESH_TOKEN_SECRET (or the JWT_SECRET
// of deployments that never set it). The configuration always has one for the refresh strategy.
function successorKey (refreshTokenSecret: string | undefined): Buffer {
  if (refreshTokenSecret === undefined) throw new Error('AUTH_STRATEGY=refresh without a refresh token secret')
  return Buffer.from(hkdfSync('sha256', refreshTokenSecret, '', 'refresh-token-successor', SUCCESSOR_KEY_BYTES))
}
