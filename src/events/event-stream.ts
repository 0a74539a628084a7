import type { RedisClient } from '../redis/redis-client.js'
import { callRedis } from '../redis/redis-failure.js'
import type { SessionEvent } from './session-event.js'

// Each stream entry holds one field, the event as JSON (nulls and numbers kept as they are).
export const EVENT_FIELD = 'event'

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
    const appended = callRedis(() => this.redis.xadd(key, 'MAXLEN', '~', maxLength, '*', EVENT_FIELD, JSON.stringify(event)))
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
  const at = fields.indexOf(EVENT_FIELD)
  const json = at % 2 === 0 ? fields[at + 1] : undefined
  return json === undefined ? undefined : JSON.parse(json) as SessionEvent
}
