import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { SessionEndReason } from '../errors/api-errors.js'
import type { HashLoad } from '../passwords/hash-concurrency-limit.js'
import type { NearCacheCounts } from '../sessions/near-cache.js'
import {
  COUNTED_END_REASONS, LOGIN_RESULTS, RATE_LIMIT_BUCKETS, REFRESH_OUTCOMES,
  type AuthEvents, type CreatedSession, type DatabaseCallObserver, type EventDeliveryObserver, type LoginResult, type PasswordHashOperation, type RateLimitBucket,
  type RedisCallFailure, type RedisCallObserver, type RefreshOutcome
} from './auth-events.js'
import { FastHistogram, type HistogramSeries } from './fast-histogram.js'
import { DELIVERY_RESULTS, type DeliveryObserver, type DeliveryResult } from '../delivery/background-delivery.js'
import { DELIVERY_CHANNELS, type DeliveryChannel } from '../delivery/message-delivery.js'

// The one place prom-client is used: the services' events counted, the state of the near-cache,
// the password hashing and Redis read when scraped, and prom-client's process metrics. Every
// name and label is documented in docs/metrics.md, which operators' dashboards and alerts
// (docs/grafana-dashboard.json, docs/runbook.md) depend on.

export interface NearCacheState {
  readonly enabled: boolean
  readonly size: number
  readonly counts: Readonly<NearCacheCounts>
}

// Read at every scrape; undefined while the thing does not exist (yet).
export interface MetricsSources {
  // Only asked with NEAR_CACHE=on.
  nearCache: () => NearCacheState | null | undefined
  passwordHashing: () => HashLoad | undefined
  redisConnected: () => boolean | undefined
}

export interface PrometheusMetricsOptions {
  nearCache: boolean
  nearCacheMaxEntries: number
  // The device types SESSION_DEVICE_RULES names: the only ones with a label value of their own.
  deviceTypes?: readonly string[]
}

// The device_type label of a session without one, and of one whose type no rule names (any
// client may send any type: the label's values stay bounded).
const NO_DEVICE_TYPE = 'none'
const OTHER_DEVICE_TYPE = 'other'

const PREFIX = 'auth_'
const UNLABELLED: readonly string[] = []
const HTTP_SECONDS_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]
const REDIS_SECONDS_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]
const HASH_SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]
const HASH_WAIT_SECONDS_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]

// Every label value a counter can take shows from the start at 0, so rate() and alerts see it.
function counter (registry: Registry, name: string, help: string, label?: string, values: readonly string[] = []): Counter {
  const metric = new Counter({ name: PREFIX + name, help, labelNames: label === undefined ? [] : [label], registers: [registry] })
  for (const value of values) metric.labels(value).inc(0)
  return metric
}

// A gauge set from `read()` at each scrape; nothing while it answers undefined.
function gauge (registry: Registry, name: string, help: string, read: () => number | undefined): Gauge {
  return new Gauge({
    name: PREFIX + name,
    help,
    registers: [registry],
    collect () {
      const value = read()
      if (value !== undefined) this.set(value)
    }
  })
}

// A running total kept elsewhere as a plain number, shown as a counter.
function total (registry: Registry, name: string, help: string, read: () => number | undefined): Counter {
  return new Counter({
    name: PREFIX + name,
    help,
    registers: [registry],
    collect () {
      const value = read()
      if (value === undefined) return
      this.reset()
      this.inc(value)
    }
  })
}

// Running totals kept elsewhere, one per value of `label`.
function totalsByLabel (registry: Registry, name: string, help: string, label: string, read: () => Record<string, number> | undefined): Counter {
  return new Counter({
    name: PREFIX + name,
    help,
    labelNames: [label],
    registers: [registry],
    collect () {
      const totals = read()
      if (totals === undefined) return
      this.reset()
      for (const [value, count] of Object.entries(totals)) this.labels(value).inc(count)
    }
  })
}

export class PrometheusMetrics implements AuthEvents, RedisCallObserver, DatabaseCallObserver, EventDeliveryObserver, DeliveryObserver {
  readonly registry = new Registry()
  private readonly http = new FastHistogram(`${PREFIX}http_request_duration_seconds`,
    'Time from request to response, by method, route pattern and status code', ['method', 'route', 'status_code'], HTTP_SECONDS_BUCKETS)

  // Per route, the series of each method and status seen: found by comparing a string and a
  // number, with no key to build per request.
  private readonly httpSeries = new Map<string, Array<{ method: string, statusCode: number, series: HistogramSeries }>>()
  private readonly redisCalls = new FastHistogram(`${PREFIX}redis_call_duration_seconds`,
    'Time of each Redis call a request waits for (a script, a command or a pipeline)', [], REDIS_SECONDS_BUCKETS)

  private readonly redisCallSeries = this.redisCalls.series(UNLABELLED)

  private readonly loginAttempts = counter(this.registry, 'logins_total', 'Login attempts by result', 'result', LOGIN_RESULTS)
  private readonly createdSessions: Counter
  private readonly deviceTypes: ReadonlySet<string>
  private readonly endedSessions = counter(this.registry, 'sessions_ended_total', 'Sessions this server ended, by reason (not idle expiry)', 'reason', COUNTED_END_REASONS)
  private readonly refreshAttempts = counter(this.registry, 'refreshes_total', 'Refresh-token uses by outcome', 'outcome', REFRESH_OUTCOMES)
  private readonly rateLimitRefusals = counter(this.registry, 'rate_limit_refusals_total', 'Requests refused because a rate-limit bucket was full, by bucket', 'bucket', RATE_LIMIT_BUCKETS)
  private readonly redisErrors = counter(this.registry, 'redis_errors_total', 'Failed Redis calls: unavailable (answered 503) or reply (a refused command, 500)', 'kind', ['unavailable', 'reply'])
  private readonly databaseErrors = counter(this.registry, 'database_errors_total', 'Database calls that failed because the database was unavailable (answered 503)', 'kind', ['unavailable'])
  private readonly deadLetteredEvents = counter(this.registry, 'events_dead_lettered_total', 'Session events the webhook receiver refused for good, moved to the dead-letter stream')
  private readonly unverifiedEvents = counter(this.registry, 'events_unverified_total', 'Stream entries the webhook skipped: no valid signature, not made by this server')
  private readonly resetRequests = counter(this.registry, 'password_reset_requests_total', 'Password-reset links asked for within the budgets (POST /auth/password/forgot), whether the account exists or not')
  private readonly resets = counter(this.registry, 'password_resets_total', 'Password-reset links used: success, or invalid_token (unknown, used or expired)', 'result', ['success', 'invalid_token'])
  private readonly recoveryDeliveries = new Counter({
    name: `${PREFIX}recovery_deliveries_total`,
    help: 'Recovery messages (password-reset links) by channel and result: delivered, failed (after its retries) or undeliverable',
    labelNames: ['channel', 'result'],
    registers: [this.registry]
  })

  private readonly trimmedEvents = counter(this.registry, 'events_trimmed_undelivered_total', 'Session events the stream cap (EVENTS_STREAM_MAXLEN) removed before the webhook posted them')
  private readonly hashSeconds: Histogram<'operation'>
  private readonly hashWaitSeconds: Histogram<'operation'>

  constructor (sources: MetricsSources, options: PrometheusMetricsOptions) {
    const { registry } = this
    for (const channel of DELIVERY_CHANNELS) for (const result of DELIVERY_RESULTS) this.recoveryDeliveries.labels(channel, result).inc(0)
    this.deviceTypes = new Set(options.deviceTypes)
    this.createdSessions = counter(registry, 'sessions_created_total', 'Sessions created (logins, password changes, POST /service/sessions and app.sessions.start), by device type',
      'device_type', [...this.deviceTypes, OTHER_DEVICE_TYPE, NO_DEVICE_TYPE])
    collectDefaultMetrics({ register: registry })
    const histogram = (name: string, help: string, buckets: number[]): Histogram<'operation'> =>
      new Histogram({ name: PREFIX + name, help, labelNames: ['operation'], buckets, registers: [registry] })
    this.hashSeconds = histogram('password_hash_duration_seconds', 'Time of one argon2 hash or verification, by operation', HASH_SECONDS_BUCKETS)
    this.hashWaitSeconds = histogram('password_hash_wait_seconds', 'Time a hash or verification waited for a slot, by operation', HASH_WAIT_SECONDS_BUCKETS)
    gauge(registry, 'password_hash_slots', 'Hashes this instance computes at once (PASSWORD_HASH_CONCURRENCY)', () => sources.passwordHashing()?.slots)
    gauge(registry, 'password_hash_running', 'Hashes being computed now', () => sources.passwordHashing()?.running)
    gauge(registry, 'password_hash_queued', 'Hashes waiting for a slot now', () => sources.passwordHashing()?.queued)
    total(registry, 'password_hash_refusals_total', 'Hashes refused with 503 because every slot and queue place was taken',
      () => sources.passwordHashing()?.refused)
    gauge(registry, 'redis_connected', '1 while the connection to Redis is ready, else 0', () => {
      const connected = sources.redisConnected()
      return connected === undefined ? undefined : Number(connected)
    })
    if (options.nearCache) this.nearCacheMetrics(sources, options.nearCacheMaxEntries)
  }

  get contentType (): string {
    return this.registry.contentType
  }

  async text (): Promise<string> {
    return `${await this.registry.metrics()}\n${this.http.text()}\n\n${this.redisCalls.text()}\n`
  }

  httpRequestEnded (method: string, route: string, statusCode: number, seconds: number): void {
    let seen = this.httpSeries.get(route)
    if (seen === undefined) {
      seen = []
      this.httpSeries.set(route, seen)
    }
    let known = seen.find((entry) => entry.statusCode === statusCode && entry.method === method)
    if (known === undefined) {
      known = { method, statusCode, series: this.http.series([method, route, String(statusCode)]) }
      seen.push(known)
    }
    known.series.observe(seconds)
  }

  loginAttempted (result: LoginResult): void {
    this.loginAttempts.labels(result).inc()
  }

  sessionCreated ({ deviceType }: CreatedSession): void {
    const label = deviceType === undefined ? NO_DEVICE_TYPE : this.deviceTypes.has(deviceType) ? deviceType : OTHER_DEVICE_TYPE
    this.createdSessions.labels(label).inc()
  }

  sessionsEnded (reason: SessionEndReason, count: number): void {
    this.endedSessions.labels(reason).inc(count)
  }

  refreshAttempted (outcome: RefreshOutcome): void {
    this.refreshAttempts.labels(outcome).inc()
  }

  rateLimited (bucket: RateLimitBucket): void {
    this.rateLimitRefusals.labels(bucket).inc()
  }

  // Not counted: the sessions it ended are (auth_sessions_ended_total{reason="password_changed"}).
  passwordChanged (): void {}

  passwordHashed (operation: PasswordHashOperation, waitSeconds: number, hashSeconds: number): void {
    this.hashWaitSeconds.observe({ operation }, waitSeconds)
    this.hashSeconds.observe({ operation }, hashSeconds)
  }

  passwordResetRequested (): void {
    this.resetRequests.inc()
  }

  passwordReset (succeeded: boolean): void {
    this.resets.labels(succeeded ? 'success' : 'invalid_token').inc()
  }

  messageDelivered (channel: DeliveryChannel, result: DeliveryResult): void {
    this.recoveryDeliveries.labels(channel, result).inc()
  }

  // Not counted: the sessions a ban ends are (auth_sessions_ended_total{reason="banned"}).
  userBanned (): void {}
  userUnbanned (): void {}
  secondFactorChanged (): void {}

  redisCallEnded (seconds: number, failure?: RedisCallFailure): void {
    this.redisCallSeries.observe(seconds)
    if (failure !== undefined) this.redisErrors.labels(failure).inc()
  }

  databaseUnavailable (): void {
    this.databaseErrors.labels('unavailable').inc()
  }

  eventDeadLettered (): void {
    this.deadLetteredEvents.inc()
  }

  eventUnverified (): void {
    this.unverifiedEvents.inc()
  }

  eventsTrimmedUndelivered (count: number): void {
    this.trimmedEvents.inc(count)
  }

  private nearCacheMetrics (sources: MetricsSources, maxEntries: number): void {
    const { registry } = this
    const counts = (): Readonly<NearCacheCounts> | undefined => sources.nearCache()?.counts
    totalsByLabel(registry, 'near_cache_requests_total', 'Session checks answered from the near-cache (hit) or read from Redis (miss)', 'result', () => {
      const read = counts()
      return read === undefined ? undefined : { hit: read.hits, miss: read.misses }
    })
    total(registry, 'near_cache_invalidations_total', 'Sessions invalidated one by one (Redis reported a change, or this instance ended them)', () => counts()?.invalidations)
    total(registry, 'near_cache_flushes_total', 'Times the whole near-cache was dropped (tracking started or stopped, Redis flushed)', () => counts()?.flushes)
    total(registry, 'near_cache_evictions_total', 'Sessions dropped to stay within NEAR_CACHE_MAX_ENTRIES', () => counts()?.evictions)
    gauge(registry, 'near_cache_entries', 'Sessions held in the near-cache now', () => sources.nearCache()?.size)
    gauge(registry, 'near_cache_max_entries', 'NEAR_CACHE_MAX_ENTRIES', () => maxEntries)
    gauge(registry, 'near_cache_enabled', '1 while Redis invalidations flow (tracking connection up) and the cache serves, else 0', () => {
      const state = sources.nearCache()
      return state === undefined || state === null ? undefined : Number(state.enabled)
    })
  }
}
