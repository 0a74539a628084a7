import fp from 'fastify-plugin'
import sessionCheck from '../session-check/index.js'
import type { Clock } from '../src/clock.js'

export interface SessionCheckPluginOptions {
  // Tests pass a clock they move; the server uses the system clock.
  clock?: Clock
}

// The server checks, starts and ends sessions with the plugin other services install
// (@token-session-auth/fastify), on its own Redis connection, configuration, database and event
// pipeline: one implementation of the check and of the session lifecycle.
export default fp<SessionCheckPluginOptions>(async (fastify, options) => {
  await fastify.register(sessionCheck, {
    settings: fastify.config,
    redis: fastify.redis,
    clock: options.clock,
    events: fastify.authEvents,
    database: fastify.db
  })
}, { name: 'session-check', dependencies: ['config', 'redis', 'database', 'events'] })
