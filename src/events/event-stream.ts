import type { RedisClient } from '../redis/redis-client.js'
import { callRedis } from '../redis/redis-failure.js'
import { eventSignature, SIGNATURE_FIELD } from './event-signature.js'
import type { SessionEvent } from './session-event.js'

// Each stream entry holds the event's fields one by one (a null as an empty string), for readers
// that take a stream entry's fields as the record, then `event`: the whole event as JSON, nulls
// and numbers kept as they are, which is what the webhook and eventOfEntry read, and with a
// signing key, `signature`: the HMAC of that JSON (src/events/event-signature.ts).
export const EVENT_FIELD = 'event'

function entryFields (event: SessionEvent, signingKey: Buffer | undefined): string[] {
  const fields = Object.entries(event).flatMap(([name, value]) => [name, value === null ? '' : String(value)])
  const json = JSON.stringify(event)
  const signature = signingKey === undefined ? [] : [SIGNATURE_FIELD, eventSignature(signingKey, json)]
  return [...fields, EVENT_FIELD, json, ...signature]
}

export interface EventStreamSettings {
  key: string
  // XADD's MAXLEN ~: Redis trims whole nodes of the stream, so it may keep a few more.
  maxLength: number
  // Signs each entry (with a webhook, which posts only what verifies).
  signingKey?: Buffer
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
    const { key, maxLength, signingKey } = this.settings
    const appended = callRedis(() => this.redis.xadd(key, 'MAXLEN', '~', maxLength, '*', ...entryFields(event, signingKey)))
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
  const json = fields === null ? undefined : entryField(fields, EVENT_FIELD)
  return json === undefined ? undefined : JSON.parse(json) as SessionEvent
}

// The value of one field of a stream entry's field/value list.
export function entryField (fields: readonly string[], wanted: string): string | undefined {
  // Field names sit at even positions; a value may happen to read like a field's name.
  for (let name = 0; name < fields.length - 1; name += 2) {
    if (fields[name] === wanted) return fields[name + 1]
  }
  return undefined
}
