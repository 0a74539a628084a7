import fp from 'fastify-plugin'
import sessionCheck from '../session-check/index.js'
import type { Clock } from '../src/clock.js'

export interface SessionCheckPluginOptions {
  // Tests pass a clock they move; the server uses the system clock.
  clock?: Clock
}

// The server checks sessions with the plugin other services install (@token-session-auth/fastify),
// on its own Redis connection and configuration: one implementation of the check.
export default fp<SessionCheckPluginOptions>(async (fastify, options) => {
  await fastify.register(sessionCheck, { settings: fastify.config, redis: fastify.redis, clock: options.clock })
}, { name: 'session-check', dependencies: ['config', 'redis'] })
