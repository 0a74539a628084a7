import fastifyRedis from '@fastify/redis'
import fp from 'fastify-plugin'

const CONNECT_TIMEOUT_MS = 2000
const MAX_RECONNECT_DELAY_MS = 1000
const RECONNECT_STEP_MS = 100

// Tuned so that a Redis outage is answered fast and plainly (503) and heals by itself:
// no offline queue (a command while disconnected fails at once instead of waiting), a bounded
// command timeout (a stalled server cannot hold a request), and reconnection forever.
export default fp(async (fastify) => {
  const { config } = fastify
  await fastify.register(fastifyRedis, {
    url: config.REDIS_URL,
    enableOfflineQueue: false,
    commandTimeout: config.REDIS_COMMAND_TIMEOUT,
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 1,
    // A request's outcome is decided within the request: never replay its commands later.
    autoResendUnfulfilledCommands: false,
    retryStrategy: (attempt: number) => Math.min(attempt * RECONNECT_STEP_MS, MAX_RECONNECT_DELAY_MS)
  })

  let down = false
  fastify.redis.on('error', (error: Error) => {
    // ioredis reports every failed reconnect; one line per outage is enough.
    if (!down) fastify.log.warn({ err: error }, 'Redis connection lost; answering 503 until it returns')
    down = true
  })
  fastify.redis.on('ready', () => {
    if (down) fastify.log.info('Redis connection restored')
    down = false
  })
}, { name: 'redis', dependencies: ['config'] })
