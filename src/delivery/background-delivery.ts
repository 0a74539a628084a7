import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { UndeliverableMessage, type DeliveryChannel, type MessageDelivery } from './message-delivery.js'
import type { RecoveryMessage } from './recovery-message.js'

export const DELIVERY_RESULTS = ['delivered', 'failed', 'undeliverable'] as const
export type DeliveryResult = typeof DELIVERY_RESULTS[number]

// Told how each message ended: counted as auth_recovery_deliveries_total (docs/metrics.md).
export interface DeliveryObserver {
  messageDelivered: (channel: DeliveryChannel, result: DeliveryResult) => void
}

export const NO_DELIVERY_OBSERVER: DeliveryObserver = { messageDelivered () {} }

export interface DeliveryWarnLog {
  warn: (details: object, message: string) => void
}

export interface BackgroundDeliverySettings {
  // Attempts of one message, the first included.
  maxAttempts: number
  // The first retry waits this long, each next one twice as long.
  firstRetryDelayMs: number
}

// Sends messages after the request that asked for them was answered: the answer never waits on
// a mail server or a webhook (nor tells, by its time, whether there was anything to send). A
// message is tried a few times with backoff, then given up with a warning and a count; the log
// line names the user and why, never the token or the link. Closing stops the retries.
export class BackgroundDelivery {
  private readonly pending = new Set<Promise<void>>()
  private readonly stopping = new AbortController()

  constructor (
    private readonly delivery: MessageDelivery,
    private readonly settings: BackgroundDeliverySettings,
    private readonly log: DeliveryWarnLog,
    private readonly observer: DeliveryObserver
  ) {}

  send (message: RecoveryMessage): void {
    const sending = this.deliverWithRetries(message).finally(() => this.pending.delete(sending))
    this.pending.add(sending)
  }

  // Resolves once every message sent so far is delivered or given up: for tests and close.
  async settled (): Promise<void> {
    while (this.pending.size > 0) await Promise.all(this.pending)
  }

  async close (): Promise<void> {
    this.stopping.abort()
    await this.settled()
  }

  private async deliverWithRetries (message: RecoveryMessage): Promise<void> {
    const { channel } = this.delivery
    const request = { id: randomUUID(), message }
    const { maxAttempts, firstRetryDelayMs } = this.settings
    const about = { deliveryId: request.id, type: message.type, userId: message.userId, channel }
    for (let attempt = 1; ; attempt++) {
      try {
        await this.delivery.deliver(request, this.stopping.signal)
        this.observer.messageDelivered(channel, 'delivered')
        return
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error)
        if (error instanceof UndeliverableMessage) {
          this.observer.messageDelivered(channel, 'undeliverable')
          this.log.warn({ ...about, reason }, 'recovery delivery: the message could not be delivered')
          return
        }
        if (attempt >= maxAttempts || this.stopping.signal.aborted) {
          this.observer.messageDelivered(channel, 'failed')
          this.log.warn({ ...about, attempts: attempt, reason }, 'recovery delivery: the message was given up after its retries')
          return
        }
        await sleep(firstRetryDelayMs * 2 ** (attempt - 1), undefined, { signal: this.stopping.signal }).catch(() => undefined)
      }
    }
  }
}
