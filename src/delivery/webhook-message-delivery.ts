import { outcomeOf, postSigned, type SignedPostHeaders, type WebhookTarget } from '../events/webhook-post.js'
import type { Clock } from '../clock.js'
import { UndeliverableMessage, type DeliveryRequest, type MessageDelivery } from './message-delivery.js'

// Signed as the events webhook's POSTs are (src/events/webhook-signature.ts), under names of
// their own, so one receiver can tell a message from an event.
export const DELIVERY_POST_HEADERS: SignedPostHeaders = {
  id: 'x-auth-delivery-id',
  timestamp: 'x-auth-delivery-timestamp',
  signature: 'x-auth-delivery-signature'
}

const MS_PER_SECOND = 1000

export interface WebhookMessageSettings extends WebhookTarget {
  requestTimeoutMs: number
}

// DELIVERY_WEBHOOK_URL: each message POSTed as JSON; the app reaches its user as it likes (SMS,
// push, its own e-mail). A 2xx takes it; a redirect or a 4xx other than 408/429 refuses it for
// good; anything else is retried by the caller.
export class WebhookMessageDelivery implements MessageDelivery {
  readonly channel = 'webhook'

  constructor (private readonly settings: WebhookMessageSettings, private readonly clock: Clock) {}

  async deliver ({ id, message }: DeliveryRequest, signal: AbortSignal): Promise<void> {
    const body = JSON.stringify(message)
    const timestamp = Math.floor(this.clock() / MS_PER_SECOND)
    const status = await postSigned(this.settings, DELIVERY_POST_HEADERS, id, body, timestamp,
      AbortSignal.any([signal, AbortSignal.timeout(this.settings.requestTimeoutMs)]))
    const outcome = outcomeOf(status)
    if (outcome.kind === 'refused') throw new UndeliverableMessage(`the delivery webhook refused the message (HTTP ${status})`)
    if (outcome.kind === 'retry') throw new Error(`the delivery webhook answered HTTP ${status}`)
  }
}
