import type { FastifyBaseLogger } from 'fastify'
import type { Clock } from '../src/clock.js'
import type { SessionCheckSettings } from '../src/config/session-check-settings.js'
import { eventSigningKey } from '../src/events/event-signature.js'
import { EventStream } from '../src/events/event-stream.js'
import { SessionEventObserver } from '../src/events/session-event-observer.js'
import type { AuthEvents } from '../src/metrics/auth-events.js'
import type { RedisClient } from '../src/redis/redis-client.js'

export interface StreamedEvents {
  events: AuthEvents
  // Resolves once the events so far are in the stream: at close.
  settled: () => Promise<void>
}

// A service's app.sessions tells its session.created and session.ended to the auth server's
// EVENTS_STREAM, where the auth server's webhook delivers them: signed with the key derived from
// EVENTS_WEBHOOK_SECRET (the webhook posts only entries that verify), unsigned without it.
export function streamedEvents (settings: SessionCheckSettings, redis: RedisClient, clock: Clock, log: FastifyBaseLogger): StreamedEvents | undefined {
  if (settings.EVENTS_STREAM === undefined) return undefined
  const secret = settings.EVENTS_WEBHOOK_SECRET
  const stream = new EventStream(redis, {
    key: settings.REDIS_KEY_PREFIX + settings.EVENTS_STREAM,
    maxLength: settings.EVENTS_STREAM_MAXLEN,
    signingKey: secret === undefined ? undefined : eventSigningKey(secret)
  }, (error, event) => log.warn({ err: error, eventType: event.type }, 'session events: an event could not be added to EVENTS_STREAM'))
  return { events: new SessionEventObserver((event) => stream.append(event), clock), settled: async () => await stream.settled() }
}
