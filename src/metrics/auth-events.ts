import { apiErrorCodeOf, ERROR_CODES, type SessionEndReason } from '../errors/api-errors.js'
import type { EndedSession } from '../sessions/session-store.js'
import type { UserId } from '../users/user-id.js'

// What the services tell an observer as it happens: the metrics plugin (plugins/metrics.ts)
// counts it with prom-client, and the session events (src/events/) tell who and which session
// it was about; plugins/events.ts hands the services both as one observer (allAuthEvents). These
// are the rare events (a login, a refresh, a session ending). What happens on every request, or
// is a state rather than an event (near-cache hits and size, the password-hashing queue), is
// kept by its own object as plain numbers and read when /metrics is scraped.

export const LOGIN_RESULTS = ['success', 'bad_credentials', 'rate_limited', 'unavailable', 'error', 'device_type_full', 'banned', 'second_factor_required'] as const
export type LoginResult = typeof LOGIN_RESULTS[number]

// How a login that threw ended: wrong credentials, a full rate-limit bucket, an outage or busy
// password hashing (503), a device type at its refuse_new cap (409 1013), a banned user's right
// password (403 1011), a right password that needs the second factor next (401 1012), or anything else.
export function failedLoginResult (error: unknown): LoginResult {
  if (typeof error !== 'object' || error === null) return 'error'
  switch (apiErrorCodeOf(error)) {
    case ERROR_CODES.wrongCredentials: return 'bad_credentials'
    case ERROR_CODES.tooManyRequests: return 'rate_limited'
    case ERROR_CODES.unavailable: return 'unavailable'
    case ERROR_CODES.deviceTypeFull: return 'device_type_full'
    case ERROR_CODES.accountDisabled: return 'banned'
    case ERROR_CODES.secondFactorRequired: return 'second_factor_required'
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
  'login_account_ip', 'login_account', 'login_ip', 'password_session', 'register_ip', 'refresh_session', 'refresh_ip',
  'service_key_ip', 'reset_account', 'reset_ip'
] as const
export type RateLimitBucket = typeof RATE_LIMIT_BUCKETS[number]

export const PASSWORD_HASH_OPERATIONS = ['hash', 'verify', 'verify_dummy'] as const
export type PasswordHashOperation = typeof PASSWORD_HASH_OPERATIONS[number]

// The reasons the server itself ends sessions for, and so can count. `expired` and
// `max_lifetime` are Redis letting a key's TTL run out, which the server does not see happen.
export const COUNTED_END_REASONS = [
  'logout', 'logout_all', 'logout_others', 'password_changed', 'revoked', 'admin', 'evicted', 'refresh_reused', 'replaced',
  'banned', 'second_factor_changed', 'password_reset'
] as const satisfies readonly SessionEndReason[]

// Who and which session an event is about, as far as the service telling it knows: a field it
// cannot know (the client IP of an admin CLI call) is left out. `ip` is the client of the request
// that caused the event.
export interface EventSubject {
  userId?: UserId
  sessionId?: string
  deviceId?: string
  ip?: string
}

// A new session says how its user signed in (`password` for this server's own login) and, when
// someone else started it for them (a service key), who.
export interface CreatedSession extends EventSubject {
  // Its SESSION_DEVICE_RULES type, if any.
  deviceType?: string
  authMethod?: string
  actor?: string
  // How the user proved who they are (RFC 8176 amr).
  amr?: readonly string[]
}

// A login names the account it tried, which only ever leaves as a digest (src/events/).
export interface LoginSubject extends EventSubject {
  account: string
  // The deviceType the login asked for, told when its type's cap refused it (device_type_full).
  deviceType?: string
  // A rate-limited login whose refusal was told already in its budget's window: counted, not told again.
  repeatedRefusal?: boolean
}

// A user banned or unbanned, and who did it (`admin:<userId>`, `cli`, `service:<name>`).
export interface BanSubject {
  userId: UserId
  // user.banned: the ban's reason, as given.
  reason?: string
  ip?: string
  actor?: string
}

// The sessions one step ended, all of one user's, each with its device type where the step knew it.
export interface EndedSessions {
  userId: UserId
  sessions: readonly EndedSession[]
  ip?: string
  // Who ended them for the user (`admin:<userId>`, `cli`); unset when the user did.
  actor?: string
}

export interface AuthEvents {
  loginAttempted: (result: LoginResult, login: LoginSubject) => void
  sessionCreated: (session: CreatedSession) => void
  // `count` sessions ended at once (a logout-all ends many, a logout one).
  sessionsEnded: (reason: SessionEndReason, count: number, ended: EndedSessions) => void
  refreshAttempted: (outcome: RefreshOutcome, subject: EventSubject) => void
  // `told`: 0 when this refusal is counted toward its budget's next rate_limited event; else it
  // is the first of its window, and its event stands for `told` refusals (itself and the untold
  // ones before it).
  rateLimited: (bucket: RateLimitBucket, subject: EventSubject, told: number) => void
  // Told once the new password is stored.
  passwordChanged: (subject: EventSubject) => void
  // POST /auth/password/forgot within its budgets: `userId` only when the account exists (the
  // answer never tells; the event goes to the operator). Never the token.
  passwordResetRequested: (request: LoginSubject) => void
  // A reset link was used: told once the new password is stored. `succeeded` false: the token
  // was unknown, used or expired (counted, not told as an event).
  passwordReset: (succeeded: boolean, subject: EventSubject) => void
  // Seconds spent waiting for a slot, then computing the argon2 hash.
  passwordHashed: (operation: PasswordHashOperation, waitSeconds: number, hashSeconds: number) => void
  // Told once the ban is stored, before the user's sessions end; and once it is lifted.
  userBanned: (subject: BanSubject) => void
  userUnbanned: (subject: BanSubject) => void
  // A user's second factor was turned on (confirmed) or off.
  secondFactorChanged: (change: SecondFactorChange, subject: EventSubject) => void
}

export type SecondFactorChange = 'enabled' | 'disabled'

export const NO_AUTH_EVENTS: AuthEvents = {
  loginAttempted () {},
  sessionCreated () {},
  sessionsEnded () {},
  refreshAttempted () {},
  rateLimited () {},
  passwordChanged () {},
  passwordResetRequested () {},
  passwordReset () {},
  passwordHashed () {},
  userBanned () {},
  userUnbanned () {},
  secondFactorChanged () {}
}

// One observer that tells each of `observers`, in order.
export function allAuthEvents (observers: readonly AuthEvents[]): AuthEvents {
  const [first] = observers
  if (first === undefined) return NO_AUTH_EVENTS
  if (observers.length === 1) return first
  return {
    loginAttempted: (...event) => { for (const observer of observers) observer.loginAttempted(...event) },
    sessionCreated: (...event) => { for (const observer of observers) observer.sessionCreated(...event) },
    sessionsEnded: (...event) => { for (const observer of observers) observer.sessionsEnded(...event) },
    refreshAttempted: (...event) => { for (const observer of observers) observer.refreshAttempted(...event) },
    rateLimited: (...event) => { for (const observer of observers) observer.rateLimited(...event) },
    passwordChanged: (...event) => { for (const observer of observers) observer.passwordChanged(...event) },
    passwordResetRequested: (...event) => { for (const observer of observers) observer.passwordResetRequested(...event) },
    passwordReset: (...event) => { for (const observer of observers) observer.passwordReset(...event) },
    passwordHashed: (...event) => { for (const observer of observers) observer.passwordHashed(...event) },
    userBanned: (...event) => { for (const observer of observers) observer.userBanned(...event) },
    userUnbanned: (...event) => { for (const observer of observers) observer.userUnbanned(...event) },
    secondFactorChanged: (...event) => { for (const observer of observers) observer.secondFactorChanged(...event) }
  }
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

// Told by the webhook (src/events/webhook-delivery.ts) of the stream entries it did not post.
export interface EventDeliveryObserver {
  // Refused for good by the receiver, moved to the dead-letter stream.
  eventDeadLettered: () => void
  // No valid signature: not made by this server.
  eventUnverified: () => void
  // Removed by the stream's cap before the webhook posted them.
  eventsTrimmedUndelivered: (count: number) => void
}

export const NO_EVENT_DELIVERY_OBSERVER: EventDeliveryObserver = {
  eventDeadLettered () {},
  eventUnverified () {},
  eventsTrimmedUndelivered () {}
}
