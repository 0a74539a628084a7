import { randomUUID } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import type { EventDeliveryObserver } from '../metrics/auth-events.js'
import type { RedisClient } from '../redis/redis-client.js'
import { verifyEventSignature, SIGNATURE_FIELD } from './event-signature.js'
import { entryField, EVENT_FIELD } from './event-stream.js'
import { defineEventCommands } from './event-scripts.js'
import { ParkedEvents, type EventPosting } from './parked-events.js'
import { createDeliveryGroupCall } from './scripts/create-delivery-group.js'
import { holdDeliveryLeaseCall } from './scripts/hold-delivery-lease.js'
import { WebhookEntries, type StreamEntry, type WebhookEntriesSettings } from './webhook-entries.js'
import { EVENT_POST_HEADERS, outcomeOf, postSigned, type PostOutcome, type WebhookTarget } from './webhook-post.js'

const MS_PER_SECOND = 1000
const LEASE_RENEWALS_PER_LEASE = 3

export interface WebhookSettings extends WebhookTarget, WebhookEntriesSettings {
  // What the stream's entries are signed with (event-signature.ts): an entry that does not
  // verify was not made by this server, and is not posted.
  signingKey: Buffer
  streamKey: string
  // The consumer group, and the key of the lease; both named after the stream.
  group: string
  leaseKey: string
  leaseMs: number
  requestTimeoutMs: number
  // The first retry waits this long, each next one twice as long, up to maxRetryDelayMs.
  firstRetryDelayMs: number
  maxRetryDelayMs: number
  // Attempts an event refused for good gets before it moves to the dead-letter stream.
  maxAttempts: number
  // Refused events set aside at most, retried beside the later ones (parked-events.ts); while
  // that many are, a refused event is retried in line.
  maxParked: number
  deadLetterKey: string
  // MAXLEN ~ of the dead-letter stream.
  deadLetterMaxLength: number
}

export interface WebhookLog {
  warn: (details: object, message: string) => void
}

class LeaseLost extends Error {}

// How one attempt left an event: settled (taken, or dead-lettered: acknowledged either way),
// refused for good once more, or to be retried (the receiver takes nothing now).
type AttemptResult = 'settled' | 'refused' | 'retry'

// When a backoff ends: read on the monotonic clock the pauses run on, not the app's (tests move
// that one, and a wall clock can step).
function monotonicNow (): number {
  return performance.now()
}

// EVENTS_WEBHOOK_URL: the events of the stream, POSTed one at a time in the stream's order. The
// stream is the queue: an event is acknowledged (XACK) once the receiver answered 2xx, and until
// then it is retried with exponential backoff, by whichever instance holds the lease, for as long
// as Redis keeps it. While the receiver takes nothing (5xx, no answer) everything waits, in
// order. An event it refuses for good (another 4xx: it refuses that event, not all) is parked and
// retried on its backoff beside the later ones, so it holds none of them back, and after
// maxAttempts refusals moves to the dead-letter stream. Requests never wait for any of this.
export class WebhookDelivery {
  private readonly holder = randomUUID()
  private readonly stopping = new AbortController()
  private readonly parked: ParkedEvents
  private readonly entries: WebhookEntries
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
    this.parked = new ParkedEvents(settings.maxParked)
    this.entries = new WebhookEntries(redis, reader, settings, this.parked, log, observer)
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
          this.parked.clear()
          await this.pause(this.settings.leaseMs / LEASE_RENEWALS_PER_LEASE)
          continue
        }
        await this.retryDueParked()
        for (const entry of await this.entries.next(this.parked.msUntilNextDue(monotonicNow()))) {
          await this.deliver(entry)
          await this.retryDueParked()
        }
      } catch (error) {
        if (this.stopped) return
        if (error instanceof LeaseLost) this.parked.clear()
        else this.log.warn({ err: error }, 'webhook delivery: reading the events stream failed; retrying')
        await this.pause(this.settings.firstRetryDelayMs)
      }
    }
  }

  private async deliver ([id, fields]: StreamEntry): Promise<void> {
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
      const body = JSON.stringify({ id, ...JSON.parse(json) as object })
      await this.postInLine({ id, fields, body, attempts: 0, refusals: 0 })
      return
    }
    await this.acknowledge(id)
  }

  // Until the receiver takes the event, or refuses it: then it is parked and the next one goes.
  // Only while the receiver takes nothing (5xx, 408, 429, no answer), or while the parked events
  // fill their bound, does everything wait, in order, on the backoff.
  private async postInLine (posting: EventPosting): Promise<void> {
    for (;;) {
      const result = await this.attempt(posting)
      if (result === 'settled') return
      if (result === 'refused' && this.parked.park(posting, this.nextAttemptDueAt(posting))) return
      await this.waitHoldingLease(this.retryDelayMs(posting))
    }
  }

  // Each parked event whose next attempt is due gets it; never waits.
  private async retryDueParked (): Promise<void> {
    for (const posting of this.parked.due(monotonicNow())) {
      if (await this.attempt(posting) === 'settled') this.parked.remove(posting.id)
      else this.parked.park(posting, this.nextAttemptDueAt(posting))
    }
  }

  // One POST. Settled: the receiver took it, or refused it for good for the maxAttempts-th time
  // and it was dead-lettered; acknowledged either way.
  private async attempt (posting: EventPosting): Promise<AttemptResult> {
    const outcome = await this.post(posting.id, posting.body)
    posting.attempts++
    if (outcome.kind === 'retry') return 'retry'
    if (outcome.kind === 'refused') {
      if (++posting.refusals < this.settings.maxAttempts) return 'refused'
      await this.deadLetter(posting, outcome.status)
    }
    await this.acknowledge(posting.id)
    return 'settled'
  }

  private async acknowledge (id: string): Promise<void> {
    await this.redis.xack(this.settings.streamKey, this.settings.group, id)
  }

  private retryDelayMs (posting: EventPosting): number {
    const { firstRetryDelayMs, maxRetryDelayMs } = this.settings
    return Math.min(firstRetryDelayMs * 2 ** (posting.attempts - 1), maxRetryDelayMs)
  }

  private nextAttemptDueAt (posting: EventPosting): number {
    return monotonicNow() + this.retryDelayMs(posting)
  }

  // The entry as it was, with where it came from, the receiver's last answer and the attempts.
  private async deadLetter ({ id, fields, attempts }: EventPosting, status: number): Promise<void> {
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

  // Backs off in steps short enough to keep the lease (another instance takes over only when
  // this one is gone, or cannot reach Redis), giving the parked events their attempts meanwhile.
  private async waitHoldingLease (delayMs: number): Promise<void> {
    const leaseStepMs = this.settings.leaseMs / LEASE_RENEWALS_PER_LEASE
    const until = monotonicNow() + delayMs
    for (let left = delayMs; left > 0 && !this.stopped; left = until - monotonicNow()) {
      await this.pause(Math.min(leaseStepMs, left, this.parked.msUntilNextDue(monotonicNow())))
      if (!await this.holdLease()) throw new LeaseLost()
      await this.retryDueParked()
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
