import { ConfigError } from './config-error.js'
import type { Env } from './config-schema.js'

// How password-reset links reach users (docs/recovery.md): the app's webhook, or e-mail; with
// neither, the log in development and nowhere in production (the server warns at start).
export type DeliverySettings =
  | { kind: 'webhook', url: string, secret: string }
  | { kind: 'smtp', url: string, from: string }
  | { kind: 'log' }
  | { kind: 'none' }

function halfSet (env: Env, set: keyof Env, missing: keyof Env, what: string): void {
  if (env[set] !== undefined && env[missing] === undefined) {
    throw new ConfigError(`Invalid configuration: ${set} requires ${missing} (${what})`)
  }
}

// Each delivery is configured whole or not at all, one at a time; in production over TLS only,
// with links to a public address that is TLS too: a reset link is a password.
export function deliverySettingsOf (env: Env, isProduction: boolean): DeliverySettings {
  halfSet(env, 'DELIVERY_WEBHOOK_URL', 'DELIVERY_WEBHOOK_SECRET', 'at least 32 characters, the HMAC key of the signature')
  halfSet(env, 'DELIVERY_WEBHOOK_SECRET', 'DELIVERY_WEBHOOK_URL', 'the secret signs the delivery webhook\'s POSTs')
  halfSet(env, 'SMTP_URL', 'MAIL_FROM', 'the sender of the e-mails')
  halfSet(env, 'MAIL_FROM', 'SMTP_URL', 'the mail server that sends them')
  if (env.DELIVERY_WEBHOOK_URL !== undefined && env.SMTP_URL !== undefined) {
    throw new ConfigError('Invalid configuration: set DELIVERY_WEBHOOK_URL or SMTP_URL, not both (one way to reach users)')
  }
  const settings = chosenDelivery(env, isProduction)
  if (!isProduction) return settings
  if (env.DELIVERY_WEBHOOK_URL?.startsWith('https://') === false) {
    throw new ConfigError('Invalid configuration: DELIVERY_WEBHOOK_URL must be https:// when NODE_ENV=production')
  }
  if (settings.kind !== 'none' && env.PUBLIC_URL === undefined) {
    throw new ConfigError('Invalid configuration: PUBLIC_URL (the page\'s https:// address, the base of reset links) is required when NODE_ENV=production and DELIVERY_WEBHOOK_URL or SMTP_URL is set')
  }
  if (env.PUBLIC_URL?.startsWith('https://') === false) {
    throw new ConfigError('Invalid configuration: PUBLIC_URL must be https:// when NODE_ENV=production')
  }
  return settings
}

// Called once each delivery was found set whole, and not both.
function chosenDelivery (env: Env, isProduction: boolean): DeliverySettings {
  const { DELIVERY_WEBHOOK_URL: webhookUrl, DELIVERY_WEBHOOK_SECRET: secret, SMTP_URL: smtpUrl, MAIL_FROM: from } = env
  if (webhookUrl !== undefined && secret !== undefined) return { kind: 'webhook', url: webhookUrl, secret }
  if (smtpUrl !== undefined && from !== undefined) return { kind: 'smtp', url: smtpUrl, from }
  return { kind: isProduction ? 'none' : 'log' }
}

// Outside production the page is this server: its own address, unless PUBLIC_URL says otherwise.
export function publicUrlOf (env: Env): string {
  if (env.PUBLIC_URL !== undefined) return env.PUBLIC_URL.replace(/\/+$/, '')
  const host = env.HOST.includes(':') ? `[${env.HOST}]` : env.HOST
  return `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${env.PORT}`
}
