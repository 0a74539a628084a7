import fp from 'fastify-plugin'
import { systemClock, type Clock } from '../src/clock.js'
import { BackgroundDelivery } from '../src/delivery/background-delivery.js'
import { LogMessageDelivery, NoMessageDelivery, type DeliveryLog } from '../src/delivery/log-message-delivery.js'
import type { MessageDelivery } from '../src/delivery/message-delivery.js'
import { SmtpMessageDelivery } from '../src/delivery/smtp-message-delivery.js'
import { WebhookMessageDelivery } from '../src/delivery/webhook-message-delivery.js'
import type { DeliverySettings } from '../src/config/delivery-settings.js'
import { ResetTokenStore } from '../src/recovery/reset-token-store.js'

declare module 'fastify' {
  interface FastifyInstance {
    // Password-reset tokens in Redis, by digest (src/recovery/).
    resetTokens: ResetTokenStore
    // Sends recovery messages after the answer (src/delivery/); `settled()` for tests.
    recoveryDelivery: BackgroundDelivery
  }
}

const DELIVERY_REQUEST_TIMEOUT_MS = 10_000
// The first try and three retries: 1 s, 2 s and 4 s later with the default DELIVERY_RETRY_MS.
const DELIVERY_MAX_ATTEMPTS = 4

function messageDeliveryOf (settings: DeliverySettings, log: DeliveryLog, clock: Clock): MessageDelivery {
  switch (settings.kind) {
    case 'webhook':
      return new WebhookMessageDelivery({ url: settings.url, secret: settings.secret, requestTimeoutMs: DELIVERY_REQUEST_TIMEOUT_MS }, clock)
    case 'smtp':
      return new SmtpMessageDelivery({ url: settings.url, from: settings.from }, clock)
    case 'log':
      return new LogMessageDelivery(log)
    case 'none':
      return new NoMessageDelivery()
  }
}

// Account recovery (docs/recovery.md): where reset tokens are kept and how their links reach
// users, chosen from the configuration (src/config/delivery-settings.ts).
export default fp<{ clock?: Clock }>(async (fastify, options) => {
  const { config, log } = fastify
  const clock = options.clock ?? systemClock
  fastify.decorate('resetTokens', new ResetTokenStore(fastify.redis, config.PASSWORD_RESET_TTL, config.REDIS_KEY_PREFIX))
  const delivery = messageDeliveryOf(config.delivery, log.child({ logger: 'recovery' }), clock)
  if (delivery.channel === 'none') {
    log.warn('Password reset cannot reach users: neither DELIVERY_WEBHOOK_URL nor SMTP_URL is set. POST /auth/password/forgot answers 202 and sends nothing (each request logs a warning).')
  }
  const background = new BackgroundDelivery(delivery, {
    maxAttempts: DELIVERY_MAX_ATTEMPTS,
    firstRetryDelayMs: config.DELIVERY_RETRY_MS
  }, log, fastify.metricsRecoveryDelivery)
  fastify.decorate('recoveryDelivery', background)
  fastify.addHook('onClose', async () => {
    await background.close()
    if (delivery instanceof SmtpMessageDelivery) delivery.close()
  })
}, { name: 'recovery', dependencies: ['config', 'redis', 'metrics'] })
