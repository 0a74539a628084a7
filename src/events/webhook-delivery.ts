import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { EventDeliveryObserver } from '../metrics/auth-events.js'
import type { RedisClient } from '../redis/redis-client.js'
import { verifyEventSignature, SIGNATURE_FIELD } from './event-signature.js'
import { entryField, EVENT_FIELD } from './event-stream.js'
import { defineEventCommands } from './event-scripts.js'
import { createDeliveryGroupCall } from './scripts/create-delivery-group.js'
import { holdDeliveryLeaseCall } from './scripts/hold-delivery-lease.js'
import { decodeReadNewEventsReply, readNewEventsCall } from './scripts/read-new-events.js'
import { EVENT_POST_HEADERS, outcomeOf, postSigned, type PostOutcome, type WebhookTarget } from './webhook-post.js'

const MS_PER_SECOND = 1000
// Every instance reads as this one consumer of the group, one at a time (the lease): so the
// entries an instance read and could not post before it stopped are the next holder's to post.
const CONSUMER = 'webhook'
const ENTRIES_PER_READ = 100
const LEASE_RENEWALS_PER_LEASE = 3

export interface WebhookSettings extends WebhookTarget {
  // What the stream's entries are signed with (event-signature.ts): an entry that does not
  // verify was not made by this server, and is not posted.
  signingKey: Buffer
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
  // Attempts an event refused for good gets before it moves to the dead-letter stream.
  maxAttempts: number
  deadLetterKey: string
  // MAXLEN ~ of the dead-letter stream.
  deadLetterMaxLength: number
}

export interface WebhookLog {
  warn: (details: object, message: string) => void
}

type StreamReply = Array<[key: string, entries: Array<[id: string, fields: string[] | null]>]> | null

class LeaseLost extends Error {}

// EVENTS_WEBHOOK_URL: the events of the stream, POSTed one at a time in the stream's order. The
// stream is the queue: an event is acknowledged (XACK) once the receiver answered 2xx, and until
// then it is retried with exponential backoff, by whichever instance holds the lease, for as long
// as Redis keeps it; an event the receiver refuses for good (maxAttempts times) moves to the
// dead-letter stream, so it cannot hold back the ones after it. Requests never wait for any of this.
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
    private readonly clock: () => number,
    private readonly observer: EventDeliveryObserver
  ) {
    defineEventCommands(redis)
  }

  // The group starts at the stream's end: what was appended before a webhook was set is not sent.
  async start (): Promise<void> {
    const { streamKey, group } = this.settings
    await this.redis.eventsCreateDeliveryGroup(...createDeliveryGroupCall({ streamKey }, { group }))
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

  // The entries read before and not yet acknowledged first, then new ones; when there are none,
  // waits (without reading them) for entries after the last one read.
  private async nextEntries (): Promise<Array<[string, string[] | null]>> {
    const { group, streamKey, blockMs } = this.settings
    const pending = await this.reader.xreadgroup('GROUP', group, CONSUMER, 'COUNT', ENTRIES_PER_READ, 'STREAMS', streamKey, '0') as StreamReply
    const pendingEntries = pending?.[0]?.[1] ?? []
    if (pendingEntries.length > 0) return pendingEntries
    const fresh = decodeReadNewEventsReply(await this.redis.eventsReadNewEvents(
      ...readNewEventsCall({ streamKey }, { group, consumer: CONSUMER, count: ENTRIES_PER_READ })
    ))
    this.trimmedUnread(fresh.trimmedUnread)
    if (fresh.entries.length > 0) return fresh.entries
    await this.reader.xread('COUNT', 1, 'BLOCK', blockMs, 'STREAMS', streamKey, fresh.lastDeliveredId)
    return []
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

  private async deliver (id: string, fields: string[] | null): Promise<void> {
    const json = fields === null ? undefined : entryField(fields, EVENT_FIELD)
    const signature = fields === null ? undefined : entryField(fields, SIGNATURE_FIELD)
    if (fields === null || json === undefined) {
      // Read, then trimmed before it was posted: XREADGROUP names it without its fields.
      this.observer.eventsTrimmedUndelivered(1)
      this.log.warn({ eventId: id }, 'webhook delivery: an event was trimmed from the stream (EVENTS_STREAM_MAXLEN) before it could be posted')
    } else if (signature === undefined || !verifyEventSignature(this.settings.signingKey, json, signature)) {
      this.observer.eventUnverified()
      this.log.warn({ eventId: id }, 'webhook delivery: a stream entry without a valid signature was skipped: this server did not make it')
    } else {
      await this.postUntilSettled(id, fields, JSON.stringify({ id, ...JSON.parse(json) as object }))
    }
    await this.redis.xack(this.settings.streamKey, this.settings.group, id)
  }

  // Until the receiver takes it, or has refused it for good maxAttempts times.
  private async postUntilSettled (id: string, fields: string[], body: string): Promise<void> {
    const { firstRetryDelayMs, maxRetryDelayMs, maxAttempts } = this.settings
    let refusals = 0
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.post(id, body)
      if (outcome.kind === 'taken') return
      if (outcome.kind === 'refused' && ++refusals >= maxAttempts) {
        await this.deadLetter(id, fields, outcome.status, attempt)
        return
      }
      await this.waitHoldingLease(Math.min(firstRetryDelayMs * 2 ** (attempt - 1), maxRetryDelayMs))
    }
  }

  // The entry as it was, with where it came from, the receiver's last answer and the attempts.
  private async deadLetter (id: string, fields: string[], status: number, attempts: number): Promise<void> {
    const { deadLetterKey, deadLetterMaxLength } = this.settings
    await this.redis.xadd(deadLetterKey, 'MAXLEN', '~', deadLetterMaxLength, '*',
      ...fields, 'streamId', id, 'status', String(status), 'attempts', String(attempts))
    this.observer.eventDeadLettered()
    this.log.warn({ eventId: id, eventType: entryField(fields, 'type'), statusCode: status, attempts },
      'webhook delivery: the receiver refused an event for good; it was moved to the dead-letter stream')
  }

  private async post (id: string, body: string): Promise<PostOutcome> {
    const timestamp = Math.floor(this.clock() / MS_PER_SECOND)
    const signal = AbortSignal.any([this.stopping.signal, AbortSignal.timeout(this.settings.requestTimeoutMs)])
    try {
      const status = await postSigned(this.settings, EVENT_POST_HEADERS, id, body, timestamp, signal)
      const outcome = outcomeOf(status)
      if (outcome.kind !== 'taken') this.log.warn({ eventId: id, statusCode: status }, 'webhook delivery: the receiver refused an event')
      return outcome
    } catch (error) {
      if (this.stopped) throw error
      this.log.warn({ eventId: id, err: error }, 'webhook delivery: the receiver could not be reached; retrying')
    }
    return { kind: 'retry' }
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
