import type { RedisClient } from '../redis/redis-client.js'
import { callRedis } from '../redis/redis-failure.js'
import type { SessionEvent } from './session-event.js'

// Each stream entry holds the event's fields one by one (a null as an empty string), for readers
// that take a stream entry's fields as the record, and then `event`: the whole event as JSON,
// nulls and numbers kept as they are, which is what the webhook and eventOfEntry read.
export const EVENT_FIELD = 'event'

function entryFields (event: SessionEvent): string[] {
  const fields = Object.entries(event).flatMap(([name, value]) => [name, value === null ? '' : String(value)])
  return [...fields, EVENT_FIELD, JSON.stringify(event)]
}

export interface EventStreamSettings {
  key: string
  // XADD's MAXLEN ~: Redis trims whole nodes of the stream, so it may keep a few more.
  maxLength: number
}

// EVENTS_STREAM: every event appended to a Redis Stream, capped. The append is sent as the event
// happens but not waited for, so it costs the request that caused it no round trip; one
// connection keeps the entries in the order the events happened.
export class EventStream {
  private readonly appending = new Set<Promise<unknown>>()

  constructor (
    private readonly redis: RedisClient,
    private readonly settings: EventStreamSettings,
    private readonly onError: (error: unknown, event: SessionEvent) => void
  ) {}

  append (event: SessionEvent): void {
    const { key, maxLength } = this.settings
    const appended = callRedis(() => this.redis.xadd(key, 'MAXLEN', '~', maxLength, '*', ...entryFields(event)))
      .catch((error: unknown) => this.onError(error, event))
      .finally(() => this.appending.delete(appended))
    this.appending.add(appended)
  }

  // Resolves once every append sent so far has been answered (at close, and for tests).
  async settled (): Promise<void> {
    await Promise.all(this.appending)
  }
}

// The event of one stream entry's field/value list; undefined for an entry trimmed away (XREADGROUP
// still names pending entries the cap removed, without their fields).
export function eventOfEntry (fields: readonly string[] | null): SessionEvent | undefined {
  if (fields === null) return undefined
  // Field names sit at even positions; a value may happen to read "event".
  for (let name = 0; name < fields.length - 1; name += 2) {
    const json = fields[name + 1]
    if (fields[name] === EVENT_FIELD && json !== undefined) return JSON.parse(json) as SessionEvent
  }
  return undefined
}
