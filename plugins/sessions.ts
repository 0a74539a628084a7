import fp from 'fastify-plugin'
import { RedisSessionStore } from '../src/sessions/redis-session-store.js'
import { SessionService } from '../src/sessions/session-service.js'

declare module 'fastify' {
  interface FastifyInstance {
    sessions: SessionService
  }
}

const MS_PER_SECOND = 1000

export default fp(async (fastify) => {
  const { config, redis } = fastify
  const store = new RedisSessionStore(redis, {
    keyPrefix: config.REDIS_KEY_PREFIX,
    fallbackTombstoneTtlMs: config.SESSION_TTL * MS_PER_SECOND
  })
  fastify.decorate('sessions', new SessionService(store, {
    ttlSeconds: config.SESSION_TTL,
    maxLifetimeSeconds: config.SESSION_MAX_LIFETIME
  }))
}, { name: 'sessions', dependencies: ['config', 'redis'] })
