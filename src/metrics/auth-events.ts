import { apiErrorCodeOf, ERROR_CODES, type SessionEndReason } from '../errors/api-errors.js'

// What the services tell an observer as it happens: the metrics plugin (plugins/metrics.ts)
// counts it with prom-client; with METRICS=off every service holds NO_AUTH_EVENTS. These are the
// rare events (a login, a refresh, a session ending). What happens on every request, or is a
// state rather than an event (near-cache hits and size, the password-hashing queue), is kept by
// its own object as plain numbers and read when /metrics is scraped.

export const LOGIN_RESULTS = ['success', 'bad_credentials', 'rate_limited', 'unavailable', 'error'] as const
export type LoginResult = typeof LOGIN_RESULTS[number]

// How a login that threw ended: wrong credentials, a full rate-limit bucket, an outage or busy
// password hashing (503), or anything else.
export function failedLoginResult (error: unknown): LoginResult {
  if (typeof error !== 'object' || error === null) return 'error'
  switch (apiErrorCodeOf(error)) {
    case ERROR_CODES.wrongCredentials: return 'bad_credentials'
    case ERROR_CODES.tooManyRequests: return 'rate_limited'
    case ERROR_CODES.unavailable: return 'unavailable'
    default: return 'error'
  }
}

// rotated: a new pair; replayed: a rotated token within REFRESH_REUSE_GRACE got the same pair;
// reused: a rotated token after the grace, and its session was revoked; too_soon: refused by
// REFRESH_MIN_INTERVAL; ended: its session had ended; invalid: unknown, expired or malformed.
export const REFRESH_OUTCOMES = ['rotated', 'replayed', 'reused', 'too_soon', 'ended', 'invalid'] as const
export type RefreshOutcome = typeof REFRESH_OUTCOMES[number]

// One per budget of src/rate-limit/attempt-limiter.ts.
export const RATE_LIMIT_BUCKETS = [
  'login_account_ip', 'login_account', 'login_ip', 'password_session', 'register_ip', 'refresh_session', 'refresh_ip'
] as const
export type RateLimitBucket = typeof RATE_LIMIT_BUCKETS[number]

export const PASSWORD_HASH_OPERATIONS = ['hash', 'verify', 'verify_dummy'] as const
export type PasswordHashOperation = typeof PASSWORD_HASH_OPERATIONS[number]

// The reasons the server itself ends sessions for, and so can count. `expired` and
// `max_lifetime` are Redis letting a key's TTL run out, which the server does not see happen.
export const COUNTED_END_REASONS = [
  'logout', 'logout_all', 'logout_others', 'password_changed', 'revoked', 'admin', 'evicted', 'refresh_reused'
] as const satisfies readonly SessionEndReason[]

export interface AuthEvents {
  loginAttempted: (result: LoginResult) => void
  sessionCreated: () => void
  // `count` sessions ended at once (a logout-all ends many, a logout one).
  sessionsEnded: (reason: SessionEndReason, count: number) => void
  refreshAttempted: (outcome: RefreshOutcome) => void
  rateLimited: (bucket: RateLimitBucket) => void
  // Seconds spent waiting for a slot, then computing the argon2 hash.
  passwordHashed: (operation: PasswordHashOperation, waitSeconds: number, hashSeconds: number) => void
}

export const NO_AUTH_EVENTS: AuthEvents = {
  loginAttempted () {},
  sessionCreated () {},
  sessionsEnded () {},
  refreshAttempted () {},
  rateLimited () {},
  passwordHashed () {}
}

// How a Redis call failed: `unavailable` is an outage (answered 503), `reply` a command Redis
// refused for another reason (a bug, answered 500).
export type RedisCallFailure = 'unavailable' | 'reply'

// Told of every call through callRedis (src/redis/redis-failure.ts), and of every database
// outage callDatabase (src/db/database-failure.ts) turns into a 503. Those are free functions
// shared by every store, so these observers are process-wide: one server per process.
export interface RedisCallObserver {
  redisCallEnded: (seconds: number, failure?: RedisCallFailure) => void
}

export interface DatabaseCallObserver {
  databaseUnavailable: () => void
}
