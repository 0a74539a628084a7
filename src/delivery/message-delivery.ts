import type { RecoveryMessage } from './recovery-message.js'

// How a message reaches the user: the app's webhook, e-mail, or (development) the log.
export const DELIVERY_CHANNELS = ['webhook', 'smtp', 'log', 'none'] as const
export type DeliveryChannel = typeof DELIVERY_CHANNELS[number]

// One message to deliver; `id` is the same on every retry of it, so a receiver can drop a repeat.
export interface DeliveryRequest {
  id: string
  message: RecoveryMessage
}

// One way to deliver. `deliver` resolves once the message was handed over; it rejects with
// UndeliverableMessage when no retry can help, with any other error when one may.
export interface MessageDelivery {
  readonly channel: DeliveryChannel
  deliver: (request: DeliveryRequest, signal: AbortSignal) => Promise<void>
}

export class UndeliverableMessage extends Error {}
