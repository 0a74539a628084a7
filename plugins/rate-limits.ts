import fp from 'fastify-plugin'
import { AttemptLimiter } from '../src/rate-limit/attempt-limiter.js'

declare module 'fastify' {
  interface FastifyInstance {
    attemptLimiter: AttemptLimiter
  }
}

// Failed logins per account and per IP, registrations per IP, refreshes per session and IP, counted in Redis so that every
// instance shares the budget.
export default fp(async (fastify) => {
  const { config } = fastify
  fastify.decorate('attemptLimiter', new AttemptLimiter(fastify.redis, {
    loginPerAccount: config.RATE_LIMIT_LOGIN_ACCOUNT,
    loginPerIp: config.RATE_LIMIT_LOGIN_IP,
    registerPerIp: config.RATE_LIMIT_REGISTER_IP,
    refreshPerSession: config.RATE_LIMIT_REFRESH_SESSION,
    refreshPerIp: config.RATE_LIMIT_REFRESH_IP,
    windowSeconds: config.RATE_LIMIT_WINDOW
  }, config.REDIS_KEY_PREFIX))
}, { name: 'rate-limits', dependencies: ['config', 'redis'] })
