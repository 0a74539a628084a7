import fp from 'fastify-plugin'
import { Cluster, Redis } from 'ioredis'
import { systemClock, type Clock } from '../src/clock.js'
import { allAuthEvents, type AuthEvents } from '../src/metrics/auth-events.js'
import { eventSigningKey } from '../src/events/event-signature.js'
import { EventStream } from '../src/events/event-stream.js'
import { SessionEventObserver } from '../src/events/session-event-observer.js'
import { sessionEvent, type SessionEvent } from '../src/events/session-event.js'
import { SessionExpiryWatcher } from '../src/events/session-expiry-watcher.js'
import { WebhookDelivery } from '../src/events/webhook-delivery.js'
import { ClusterMasters } from '../src/redis/cluster-masters.js'
import { newRedisClient, newSingleRedis } from '../src/redis/redis-connection.js'
import { resilientRedisOptions } from '../src/redis/resilient-connection.js'

declare module 'fastify' {
  interface FastifyInstance {
    // What the services tell as it happens: counted (plugins/metrics.ts) and told as session events.
    authEvents: AuthEvents
    // Resolves once the events so far are in the stream (EVENTS_STREAM): for tests.
    sessionEventsWritten: () => Promise<void>
  }
}

const WEBHOOK_LEASE_MS = 30_000
const WEBHOOK_BLOCK_MS = 5_000
// The blocking read's own timeout, beyond how long it blocks.
const WEBHOOK_READ_TIMEOUT_MS = WEBHOOK_BLOCK_MS + 5_000
const WEBHOOK_REQUEST_TIMEOUT_MS = 10_000
const WEBHOOK_MAX_RETRY_DELAY_MS = 5 * 60_000
// Refused events retried beside the later ones at most (docs/events.md#the-webhook): a few MB.
const WEBHOOK_MAX_PARKED = 1000
const WEBHOOK_GROUP = 'webhook'

// The session events (docs/events.md): to the log as `audit` lines (AUDIT_LOG), to a Redis
// Stream (EVENTS_STREAM), and from the stream to a webhook (EVENTS_WEBHOOK_URL). They are fed at
// the points the metrics are, by the same observer calls; idle expiry comes from Redis.
export default fp<{ clock?: Clock }>(async (fastify, options) => {
  const { config, redis, log } = fastify
  // The app's clock (tests move it), which the session check is given too.
  const clock = options.clock ?? systemClock
  const streamKey = config.EVENTS_STREAM === undefined ? undefined : config.REDIS_KEY_PREFIX + config.EVENTS_STREAM
  // Entries are signed whenever a webhook may post them (docs/events.md#signed-entries).
  const signingKey = config.EVENTS_WEBHOOK_SECRET === undefined ? undefined : eventSigningKey(config.EVENTS_WEBHOOK_SECRET)

  const audit = config.AUDIT_LOG === 'on' ? log.child({ logger: 'audit' }) : undefined
  const stream = streamKey === undefined
    ? undefined
    : new EventStream(redis, { key: streamKey, maxLength: config.EVENTS_STREAM_MAXLEN, signingKey }, (error, event) => {
      log.warn({ err: error, eventType: event.type }, 'session events: an event could not be added to EVENTS_STREAM')
    })
  fastify.decorate('sessionEventsWritten', async () => await stream?.settled())
  if (audit === undefined && stream === undefined) {
    fastify.decorate('authEvents', fastify.metricsEvents)
    return
  }

  function publish (event: SessionEvent): void {
    audit?.info(event, event.type)
    stream?.append(event)
  }
  fastify.decorate('authEvents', allAuthEvents([fastify.metricsEvents, new SessionEventObserver(publish, clock)]))
  fastify.addHook('onClose', async () => await stream?.settled())

  if (config.EVENTS_EXPIRED === 'on') {
    const watchExpiry = (subscriber: Redis): SessionExpiryWatcher => new SessionExpiryWatcher(redis, subscriber, {
      keyPrefix: config.REDIS_KEY_PREFIX,
      maxLifetimeSeconds: config.SESSION_MAX_LIFETIME
    }, ({ userId, sessionId, reason }) => {
      publish(sessionEvent('session.ended', clock(), { userId, sessionId, reason }))
    }, log, clock)
    const subscriberOptions = { autoResubscribe: false, lazyConnect: true, connectionName: 'session-events-expiry' }
    // On a cluster each master reports the expiry of its own keys: one watcher per master.
    const watchers = redis instanceof Cluster
      ? new ClusterMasters(redis, (_address, _node, options) => watchExpiry(new Redis({ ...options, ...subscriberOptions })))
      : watchExpiry(newSingleRedis(config, { ...resilientRedisOptions(config.REDIS_COMMAND_TIMEOUT), ...subscriberOptions }))
    fastify.addHook('onClose', async () => await watchers.close())
    await watchers.start()
  }

  if (config.EVENTS_WEBHOOK_URL !== undefined && config.EVENTS_WEBHOOK_SECRET !== undefined && signingKey !== undefined && streamKey !== undefined) {
    const reader = newRedisClient(config, {
      ...resilientRedisOptions(WEBHOOK_READ_TIMEOUT_MS), enableOfflineQueue: true, connectionName: 'session-events-webhook'
    })
    reader.on('error', () => undefined)
    const webhook = new WebhookDelivery(redis, reader, {
      url: config.EVENTS_WEBHOOK_URL,
      secret: config.EVENTS_WEBHOOK_SECRET,
      signingKey,
      streamKey,
      group: WEBHOOK_GROUP,
      leaseKey: `${streamKey}:webhook-lease`,
      leaseMs: WEBHOOK_LEASE_MS,
      blockMs: WEBHOOK_BLOCK_MS,
      requestTimeoutMs: WEBHOOK_REQUEST_TIMEOUT_MS,
      firstRetryDelayMs: config.EVENTS_WEBHOOK_RETRY_MS,
      maxRetryDelayMs: WEBHOOK_MAX_RETRY_DELAY_MS,
      maxAttempts: config.EVENTS_WEBHOOK_MAX_ATTEMPTS,
      maxParked: WEBHOOK_MAX_PARKED,
      deadLetterKey: `${streamKey}:dead`,
      deadLetterMaxLength: config.EVENTS_STREAM_MAXLEN
    }, log, clock, fastify.metricsEventDelivery)
    // Closed after the stream has its last events (hooks close in reverse order).
    fastify.addHook('onClose', async () => await webhook.close())
    await webhook.start()
  }
}, { name: 'events', dependencies: ['config', 'redis', 'metrics'] })
