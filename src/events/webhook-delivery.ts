import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { RedisClient } from '../redis/redis-client.js'
import { eventOfEntry } from './event-stream.js'
import { defineEventCommands } from './event-scripts.js'
import { holdDeliveryLeaseCall } from './scripts/hold-delivery-lease.js'
import { EVENT_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, webhookSignature } from './webhook-signature.js'

const MS_PER_SECOND = 1000
// Every instance reads as this one consumer of the group, one at a time (the lease): so the
// entries an instance read and could not post before it stopped are the next holder's to post.
const CONSUMER = 'webhook'
const ENTRIES_PER_READ = 100
const LEASE_RENEWALS_PER_LEASE = 3

export interface WebhookSettings {
  url: string
  secret: string
  streamKey: string
  // The consumer group, and the key of the lease; both named after the stream.
  group: string
  leaseKey: string
  leaseMs: number
  // How long a read waits for new entries; shorter than the reader's command timeout.
  blockMs: number
  requestTimeoutMs: number
  // The first retry waits this long, each next one twice as long, up to maxRetryDelayMs.
  firstRetryDelayMs: number
  maxRetryDelayMs: number
}

export interface WebhookLog {
  warn: (details: object, message: string) => void
}

type StreamReply = Array<[key: string, entries: Array<[id: string, fields: string[] | null]>]> | null

class LeaseLost extends Error {}

// EVENTS_WEBHOOK_URL: the events of the stream, POSTed one at a time in the stream's order. The
// stream is the queue: an event is acknowledged (XACK) only once the receiver answered 2xx, and
// until then it is retried with exponential backoff, by whichever instance holds the lease, for as
// long as Redis keeps it. Requests never wait for any of this.
export class WebhookDelivery {
  private readonly holder = randomUUID()
  private readonly stopping = new AbortController()
  private running?: Promise<void>

  // `reader`: a connection of its own, which the blocking reads may hold.
  constructor (
    private readonly redis: RedisClient,
    private readonly reader: RedisClient,
    private readonly settings: WebhookSettings,
    private readonly log: WebhookLog,
    private readonly clock: () => number
  ) {
    defineEventCommands(redis)
  }

  // The group starts at the stream's end: what was appended before a webhook was set is not sent.
  async start (): Promise<void> {
    const { streamKey, group } = this.settings
    try {
      await this.redis.xgroup('CREATE', streamKey, group, '$', 'MKSTREAM')
    } catch (error) {
      if (!(error instanceof Error && error.message.startsWith('BUSYGROUP'))) throw error
    }
    this.running = this.run()
  }

  async close (): Promise<void> {
    this.stopping.abort()
    this.reader.disconnect()
    await this.running
  }

  private get stopped (): boolean {
    return this.stopping.signal.aborted
  }

  private async run (): Promise<void> {
    while (!this.stopped) {
      try {
        if (!await this.holdLease()) {
          await this.pause(this.settings.leaseMs / LEASE_RENEWALS_PER_LEASE)
          continue
        }
        for (const [id, fields] of await this.nextEntries()) await this.deliver(id, fields)
      } catch (error) {
        if (this.stopped) return
        if (!(error instanceof LeaseLost)) this.log.warn({ err: error }, 'webhook delivery: reading the events stream failed; retrying')
        await this.pause(this.settings.firstRetryDelayMs)
      }
    }
  }

  // The entries read before and not yet acknowledged first, then new ones.
  private async nextEntries (): Promise<Array<[string, string[] | null]>> {
    const { group, streamKey, blockMs } = this.settings
    const pending = await this.reader.xreadgroup('GROUP', group, CONSUMER, 'COUNT', ENTRIES_PER_READ, 'STREAMS', streamKey, '0') as StreamReply
    const pendingEntries = pending?.[0]?.[1] ?? []
    if (pendingEntries.length > 0) return pendingEntries
    const fresh = await this.reader.xreadgroup(
      'GROUP', group, CONSUMER, 'COUNT', ENTRIES_PER_READ, 'BLOCK', blockMs, 'STREAMS', streamKey, '>'
    ) as StreamReply
    return fresh?.[0]?.[1] ?? []
  }

  private async deliver (id: string, fields: string[] | null): Promise<void> {
    const event = eventOfEntry(fields)
    if (event === undefined) {
      this.log.warn({ eventId: id }, 'webhook delivery: an event was trimmed from the stream (EVENTS_STREAM_MAXLEN) before it could be posted')
    } else {
      const body = JSON.stringify({ id, ...event })
      for (let attempt = 0; !await this.post(id, body); attempt++) {
        await this.waitHoldingLease(Math.min(this.settings.firstRetryDelayMs * 2 ** attempt, this.settings.maxRetryDelayMs))
      }
    }
    await this.redis.xack(this.settings.streamKey, this.settings.group, id)
  }

  private async post (id: string, body: string): Promise<boolean> {
    const timestamp = Math.floor(this.clock() / MS_PER_SECOND)
    try {
      const response = await fetch(this.settings.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [EVENT_ID_HEADER]: id,
          [TIMESTAMP_HEADER]: String(timestamp),
          [SIGNATURE_HEADER]: webhookSignature(this.settings.secret, timestamp, body)
        },
        body,
        signal: AbortSignal.any([this.stopping.signal, AbortSignal.timeout(this.settings.requestTimeoutMs)])
      })
      await response.body?.cancel()
      if (response.ok) return true
      this.log.warn({ eventId: id, statusCode: response.status }, 'webhook delivery: the receiver refused an event; retrying')
    } catch (error) {
      if (this.stopped) throw error
      this.log.warn({ eventId: id, err: error }, 'webhook delivery: the receiver could not be reached; retrying')
    }
    return false
  }

  // Backs off in steps short enough to keep the lease: another instance takes over only when
  // this one is gone, or cannot reach Redis.
  private async waitHoldingLease (delayMs: number): Promise<void> {
    const step = this.settings.leaseMs / LEASE_RENEWALS_PER_LEASE
    for (let waited = 0; waited < delayMs; waited += step) {
      await this.pause(Math.min(step, delayMs - waited))
      if (!await this.holdLease()) throw new LeaseLost()
    }
  }

  private async holdLease (): Promise<boolean> {
    const { leaseKey, leaseMs } = this.settings
    return await this.redis.eventsHoldDeliveryLease(...holdDeliveryLeaseCall({ leaseKey }, { holder: this.holder, leaseMs })) === 1
  }

  private async pause (ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.stopping.signal }).catch(() => undefined)
  }
}
