import fp from 'fastify-plugin'
import type { NearCacheStatus } from '../session-check/index.js'
import { PostgresRefreshTokenStore } from '../src/refresh/postgres-refresh-token-store.js'
import type { RefreshService } from '../src/refresh/refresh-service.js'

declare module 'fastify' {
  interface FastifyInstance {
    // Set with AUTH_STRATEGY=refresh only.
    refreshTokens: RefreshService | null
    // Set with NEAR_CACHE=on: its state, for readiness and tests.
    nearCache: NearCacheStatus | null
  }
}

const EXPIRED_TOKEN_SWEEP_MS = 60 * 60 * 1000

// What only the auth server does with the session engine the session check opened (its
// app.sessions is the server's login, logout and revoke): rotating refresh tokens, and deleting
// expired ones from PostgreSQL.
export default fp(async (fastify) => {
  const { refreshTokens, refreshStore, nearCache } = fastify.sessionCheck
  fastify.decorate('nearCache', nearCache)
  fastify.decorate('refreshTokens', refreshTokens)
  if (refreshStore instanceof PostgresRefreshTokenStore) {
    const sweep = setInterval(() => {
      refreshStore.deleteExpired().catch((error: unknown) => fastify.log.warn({ err: error }, 'could not delete expired refresh tokens'))
    }, EXPIRED_TOKEN_SWEEP_MS).unref()
    fastify.addHook('onClose', async () => clearInterval(sweep))
  }
}, { name: 'sessions', dependencies: ['session-check'] })
