import type { RefreshPolicy } from '../refresh/refresh-service.js'
import type { SessionPolicy } from '../sessions/session-service.js'
import { slideIntervalMs } from '../sessions/slide-interval.js'
import { parseDeviceRules } from './device-rules.js'
import { DEFAULT_SESSION_TTL_NOT_REMEMBERED, type Env } from './config-schema.js'

type SessionSettings = Pick<Env, 'AUTH_STRATEGY' | 'REFRESH_STORE' | 'SESSION_TTL' | 'SESSION_SLIDING' | 'SESSION_MAX_LIFETIME' |
'SESSION_ROTATE_AFTER' | 'SESSION_ROTATE_GRACE' | 'REFRESH_TOKEN_TTL' | 'REFRESH_REUSE_GRACE' | 'REFRESH_MIN_INTERVAL' |
'SESSION_MAX_PER_USER'> & Partial<Pick<Env, 'SESSION_DEVICE_RULES' | 'SESSION_TTL_NOT_REMEMBERED'>>

const MS_PER_SECOND = 1000

// How the strategy settings shape the session engine; the server and the admin CLI share it.
export function sessionPolicyOf (env: SessionSettings): SessionPolicy {
  const refreshStrategy = env.AUTH_STRATEGY === 'refresh'
  // With refresh tokens a session lives as long as its refresh token; access tokens do not extend it.
  const ttlSeconds = refreshStrategy ? env.REFRESH_TOKEN_TTL : env.SESSION_TTL
  return {
    ttlSeconds,
    slideOnRequest: !refreshStrategy && env.SESSION_SLIDING,
    // An active session's remaining TTL therefore stays within a tenth of the full TTL.
    slideEveryMs: slideIntervalMs(ttlSeconds * MS_PER_SECOND),
    maxLifetimeSeconds: env.SESSION_MAX_LIFETIME,
    ttlStopsAtDeadline: !refreshStrategy,
    reissueAfterSeconds: env.SESSION_ROTATE_AFTER,
    reissueGraceSeconds: env.SESSION_ROTATE_GRACE,
    refreshCanRestore: refreshTokensInPostgres(env),
    maxSessionsPerUser: env.SESSION_MAX_PER_USER,
    deviceRules: parseDeviceRules(env.SESSION_DEVICE_RULES),
    notRememberedTtlSeconds: env.SESSION_TTL_NOT_REMEMBERED ?? DEFAULT_SESSION_TTL_NOT_REMEMBERED
  }
}

export function refreshPolicyOf (env: SessionSettings): RefreshPolicy {
  return {
    refreshTtlSeconds: env.REFRESH_TOKEN_TTL,
    sliding: env.SESSION_SLIDING,
    reuseGraceSeconds: env.REFRESH_REUSE_GRACE,
    minIntervalSeconds: env.REFRESH_MIN_INTERVAL,
    maxLifetimeSeconds: env.SESSION_MAX_LIFETIME
  }
}

// Whether revocations must also reach refresh tokens kept in PostgreSQL.
export function refreshTokensInPostgres (env: Pick<Env, 'AUTH_STRATEGY' | 'REFRESH_STORE'>): boolean {
  return env.AUTH_STRATEGY === 'refresh' && env.REFRESH_STORE === 'postgres'
}
