import type { SessionCheckOptions } from '../../session-check/index.js'
import type { AppConfig } from '../../src/config/load-config.js'
import { TEST_JWT_SECRET } from './build-app.js'

// The plugin's options for another service of a test's auth server: its Redis (and key prefix),
// secret and strategy, and nothing from the test's own environment. `extra` adds or overrides.
export function pluginOptionsOf (config: AppConfig, extra: SessionCheckOptions = {}): SessionCheckOptions {
  return {
    redisUrl: config.REDIS_URL,
    redisKeyPrefix: config.REDIS_KEY_PREFIX,
    // The tests' generous timeout: a busy machine must not turn a slow answer into a 503.
    redisCommandTimeout: config.REDIS_COMMAND_TIMEOUT,
    jwtSecret: TEST_JWT_SECRET,
    authStrategy: config.AUTH_STRATEGY,
    refreshStore: config.REFRESH_STORE,
    env: {},
    ...extra
  }
}
