import fp from 'fastify-plugin'
import type { RedisClient } from '../src/redis/redis-client.js'
import { closeRedis, openResilientRedis } from '../src/redis/resilient-connection.js'

declare module 'fastify' {
  interface FastifyInstance {
    // One Redis or a Redis Cluster (REDIS_CLUSTER_NODES). Decorated here rather than by
    // @fastify/redis, whose decorator is typed as a single-node client only.
    redis: RedisClient
  }
}

export default fp(async (fastify) => {
  const redis = await openResilientRedis(fastify.config, fastify.log)
  fastify.decorate<RedisClient>('redis', redis)
  fastify.addHook('onClose', async () => await closeRedis(redis))
}, { name: 'redis', dependencies: ['config'] })
