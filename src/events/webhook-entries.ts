import type { EventDeliveryObserver } from '../metrics/auth-events.js'
import type { RedisClient } from '../redis/redis-client.js'
import type { ParkedEvents } from './parked-events.js'
import { decodeReadNewEventsReply, readNewEventsCall } from './scripts/read-new-events.js'

// Every instance reads as this one consumer of the group, one at a time (the lease): so the
// entries an instance read and could not post before it stopped are the next holder's to post.
const CONSUMER = 'webhook'
const ENTRIES_PER_READ = 100

// A stream entry: its id and fields, or null fields for an entry the cap trimmed after it was read.
export type StreamEntry = [id: string, fields: string[] | null]

type StreamReply = Array<[key: string, entries: StreamEntry[]]> | null

export interface WebhookEntriesSettings {
  streamKey: string
  group: string
  // How long a read waits for new entries; shorter than the reader's command timeout.
  blockMs: number
}

export interface WebhookEntriesLog {
  warn: (details: object, message: string) => void
}

// What the webhook posts next, read from its consumer group: the entries read before and neither
// acknowledged nor parked (those an instance left when it stopped, or this one when Redis failed
// mid-way), then new ones, counting those the stream's cap trimmed before they were read.
export class WebhookEntries {
  // `reader`: a connection of its own, which the blocking reads may hold.
  constructor (
    private readonly redis: RedisClient,
    private readonly reader: RedisClient,
    private readonly settings: WebhookEntriesSettings,
    private readonly parked: ParkedEvents,
    private readonly log: WebhookEntriesLog,
    private readonly observer: EventDeliveryObserver
  ) {}

  // When there are none, waits (without reading them) for entries after the last one read, at
  // most wakeWithinMs: when a parked event's next attempt is due.
  async next (wakeWithinMs: number): Promise<StreamEntry[]> {
    const { group, streamKey, blockMs } = this.settings
    const pending = await this.unparkedPending()
    if (pending.length > 0) return pending
    const fresh = decodeReadNewEventsReply(await this.redis.eventsReadNewEvents(
      ...readNewEventsCall({ streamKey }, { group, consumer: CONSUMER, count: ENTRIES_PER_READ })
    ))
    this.trimmedUnread(fresh.trimmedUnread)
    if (fresh.entries.length > 0) return fresh.entries
    const waitMs = Math.min(blockMs, Math.ceil(wakeWithinMs))
    if (waitMs > 0) await this.reader.xread('COUNT', 1, 'BLOCK', waitMs, 'STREAMS', streamKey, fresh.lastDeliveredId)
    return []
  }

  // Oldest first. The webhook takes entries in the stream's order and parks only entries it
  // took, so every pending entry it has not parked comes after the last one parked: reading the
  // group from an id names the pending entries after it, and steps over the parked ones.
  private async unparkedPending (): Promise<StreamEntry[]> {
    const { group, streamKey } = this.settings
    const after = this.parked.lastId() ?? '0'
    const reply = await this.reader.xreadgroup('GROUP', group, CONSUMER, 'COUNT', ENTRIES_PER_READ, 'STREAMS', streamKey, after) as StreamReply
    return (reply?.[0]?.[1] ?? []).filter(([id]) => !this.parked.has(id))
  }

  private trimmedUnread (count: number | undefined): void {
    if (count === 0) return
    if (count === undefined) {
      this.log.warn({}, 'webhook delivery: events may have been trimmed from the stream (EVENTS_STREAM_MAXLEN) before they were posted; Redis cannot tell how many')
      return
    }
    this.observer.eventsTrimmedUndelivered(count)
    this.log.warn({ count }, 'webhook delivery: events were trimmed from the stream (EVENTS_STREAM_MAXLEN) before they were posted')
  }
}
