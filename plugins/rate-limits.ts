import fp from 'fastify-plugin'
import { AttemptLimiter } from '../src/rate-limit/attempt-limiter.js'

declare module 'fastify' {
  interface FastifyInstance {
    attemptLimiter: AttemptLimiter
  }
}

// Failed logins per account and client, per account and per IP, wrong old passwords per session,
// registrations per IP, refreshes per session and IP, refused service keys per IP, password-reset
// requests per account and IP (with refused reset tokens), counted in Redis so that every instance
// shares the budget.
export default fp(async (fastify) => {
  const { config } = fastify
  fastify.decorate('attemptLimiter', new AttemptLimiter(fastify.redis, {
    loginPerAccountIp: config.RATE_LIMIT_LOGIN_ACCOUNT_IP,
    loginPerAccount: config.RATE_LIMIT_LOGIN_ACCOUNT,
    loginPerIp: config.RATE_LIMIT_LOGIN_IP,
    passwordPerSession: config.RATE_LIMIT_PASSWORD_SESSION,
    registerPerIp: config.RATE_LIMIT_REGISTER_IP,
    refreshPerSession: config.RATE_LIMIT_REFRESH_SESSION,
    refreshPerIp: config.RATE_LIMIT_REFRESH_IP,
    serviceKeyPerIp: config.RATE_LIMIT_SERVICE_KEY_IP,
    resetPerAccount: config.RATE_LIMIT_RESET_ACCOUNT,
    resetPerIp: config.RATE_LIMIT_RESET_IP,
    windowSeconds: config.RATE_LIMIT_WINDOW
  }, config.REDIS_KEY_PREFIX, fastify.authEvents))
}, { name: 'rate-limits', dependencies: ['config', 'redis', 'events'] })
