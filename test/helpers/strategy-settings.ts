import type { sessionPolicyOf } from '../../src/config/session-policies.js'

export type StrategySettings = Parameters<typeof sessionPolicyOf>[0]

// The strategy settings a test builds a session engine from, as the server's defaults would give
// them but for an hour's TTL and no caps: each test overrides what it is about.
export function strategySettings (overrides: Partial<StrategySettings> = {}): StrategySettings {
  return {
    AUTH_STRATEGY: 'sliding',
    REFRESH_STORE: 'redis',
    SESSION_TTL: 3600,
    SESSION_SLIDING: true,
    SESSION_MAX_LIFETIME: 0,
    SESSION_ROTATE_AFTER: 0,
    SESSION_ROTATE_GRACE: 30,
    REFRESH_TOKEN_TTL: 3600,
    SESSION_MAX_PER_USER: 0,
    REFRESH_REUSE_GRACE: 10,
    REFRESH_MIN_INTERVAL: 0,
    ...overrides
  }
}
