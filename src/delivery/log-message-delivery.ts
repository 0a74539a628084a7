import { UndeliverableMessage, type DeliveryRequest, type MessageDelivery } from './message-delivery.js'

export interface DeliveryLog {
  info: (details: object, message: string) => void
}

// Development with no delivery configured: the link goes to the log, so a developer can follow
// it. The only place a link is ever logged.
export class LogMessageDelivery implements MessageDelivery {
  readonly channel = 'log'

  constructor (private readonly log: DeliveryLog) {}

  async deliver ({ message }: DeliveryRequest): Promise<void> {
    this.log.info({ userId: message.userId, resetLink: message.link, expiresAt: message.expiresAt },
      'password reset: no delivery is configured (development); the link is logged instead')
  }
}

// Production with no delivery configured: nothing can reach the user. The request is still
// answered 202 (nothing about the account is told); the caller logs and counts the failure.
export class NoMessageDelivery implements MessageDelivery {
  readonly channel = 'none'

  async deliver (): Promise<void> {
    throw new UndeliverableMessage('no delivery is configured (DELIVERY_WEBHOOK_URL or SMTP_URL)')
  }
}
