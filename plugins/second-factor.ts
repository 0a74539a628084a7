import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { loadOrCreateDevelopmentDataKey } from '../src/config/data-encryption-key.js'
import type { Clock } from '../src/clock.js'
import { DataCipher } from '../src/crypto/data-cipher.js'
import { LoginChallenges } from '../src/second-factor/login-challenges.js'
import { PendingTotpSetups } from '../src/second-factor/pending-totp-setups.js'
import { TotpRepository } from '../src/second-factor/totp-repository.js'
import { TotpSecondFactor } from '../src/second-factor/totp-second-factor.js'
import { systemClock } from '../src/clock.js'

declare module 'fastify' {
  interface FastifyInstance {
    // This server's users' TOTP factor and backup codes (routes/auth/2fa/).
    totp: TotpSecondFactor
    // Logins whose password was right, waiting for their second factor (POST /auth/login/second-factor).
    loginChallenges: LoginChallenges
  }
}

export interface SecondFactorPluginOptions {
  // Tests pass a clock they move; the server uses the system clock.
  clock?: Clock
}

// Outside production (loadConfig requires the key in it): kept under DATA_DIR, as the development
// JWT secret is, so the factors set up on a developer's server survive a restart.
function developmentDataKey (fastify: FastifyInstance): Buffer {
  const { key, path } = loadOrCreateDevelopmentDataKey(fastify.config.DATA_DIR)
  fastify.log.warn({ path }, 'DATA_ENCRYPTION_KEY is not set: using a generated development key. Set DATA_ENCRYPTION_KEY in production.')
  return key
}

// The second factor: its secrets sealed with DATA_ENCRYPTION_KEY in the database, setups and
// login challenges in Redis.
export default fp<SecondFactorPluginOptions>(async (fastify, options) => {
  const { config, redis, db } = fastify
  const clock = options.clock ?? systemClock
  const dataEncryptionKey = config.dataEncryptionKey ?? developmentDataKey(fastify)
  fastify.decorate('totp', new TotpSecondFactor({
    factors: new TotpRepository(db),
    pending: new PendingTotpSetups(redis, config.REDIS_KEY_PREFIX),
    cipher: new DataCipher([dataEncryptionKey]),
    dataEncryptionKey,
    issuer: config.TOTP_ISSUER,
    clock
  }))
  fastify.decorate('loginChallenges', new LoginChallenges(redis, config.REDIS_KEY_PREFIX, clock))
}, { name: 'second-factor', dependencies: ['config', 'redis', 'database'] })
