import fp from 'fastify-plugin'
import sessionCheck from '../session-check/index.js'

// The server checks sessions with the plugin other services install (@token-session-auth/fastify),
// on its own Redis connection and configuration: one implementation of the check.
export default fp(async (fastify) => {
  await fastify.register(sessionCheck, { settings: fastify.config, redis: fastify.redis })
}, { name: 'session-check', dependencies: ['config', 'redis'] })
