import type { FastifyInstance } from 'fastify'
import { setTimeout as sleep } from 'node:timers/promises'
import { eventOfEntry } from '../../src/events/event-stream.js'
import type { SessionEvent } from '../../src/events/session-event.js'

// A liveness bound (every caller expects its count to come), generous for a machine running two
// suites at once: an expiry's claim that Redis answers late is made again (session-expiry-watcher.ts).
const WAIT_LIMIT_MS = 30_000
const POLL_MS = 20

export interface StreamedEvent extends SessionEvent {
  id: string
}

// The events in the app's EVENTS_STREAM (under its key prefix), oldest first.
export async function streamedEvents (app: FastifyInstance): Promise<StreamedEvent[]> {
  await app.sessionEventsWritten()
  const key = app.config.REDIS_KEY_PREFIX + (app.config.EVENTS_STREAM ?? '')
  const entries = await app.redis.xrange(key, '-', '+')
  return entries.flatMap(([id, fields]) => {
    const event = eventOfEntry(fields)
    return event === undefined ? [] : [{ id, ...event }]
  })
}

// Once the stream holds `count` events: those that Redis reports (idle expiry) come on their own time.
export async function waitForStreamedEvents (app: FastifyInstance, count: number): Promise<StreamedEvent[]> {
  const deadline = Date.now() + WAIT_LIMIT_MS
  for (;;) {
    const events = await streamedEvents(app)
    if (events.length >= count || Date.now() > deadline) return events
    await sleep(POLL_MS)
  }
}
