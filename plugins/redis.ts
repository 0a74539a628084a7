import fastifyRedis from '@fastify/redis'
import fp from 'fastify-plugin'
import { Redis } from 'ioredis'
import { closeRedis, logRedisOutages, resilientRedisOptions } from '../src/redis/resilient-connection.js'

export default fp(async (fastify) => {
  const { config } = fastify
  const client = new Redis(config.REDIS_URL, resilientRedisOptions(config.REDIS_COMMAND_TIMEOUT))
  logRedisOutages(client, fastify.log)
  // Registered first, so a start that fails waiting for Redis still stops reconnecting.
  fastify.addHook('onClose', async () => await closeRedis(client))
  await fastify.register(fastifyRedis, { client, closeClient: false })
}, { name: 'redis', dependencies: ['config'] })
