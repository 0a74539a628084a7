import fastifyRedis from '@fastify/redis'
import fp from 'fastify-plugin'
import { logRedisOutages, resilientRedisOptions } from '../src/redis/resilient-connection.js'

export default fp(async (fastify) => {
  const { config } = fastify
  await fastify.register(fastifyRedis, { url: config.REDIS_URL, ...resilientRedisOptions(config.REDIS_COMMAND_TIMEOUT) })
  logRedisOutages(fastify.redis, fastify.log)
}, { name: 'redis', dependencies: ['config'] })
