import { ConfigError } from './config-error.js'
import type { Env } from './config-schema.js'

// The webhook is fed from the stream (it is the queue that keeps events while the receiver is
// down), and a receiver must be able to tell the server's POSTs from anyone else's. In production
// the events and their signature travel over TLS only, unless the operator says otherwise.
export function checkEventSettings (env: Env): void {
  if (env.EVENTS_WEBHOOK_URL === undefined) return
  if (env.EVENTS_STREAM === undefined) {
    throw new ConfigError('Invalid configuration: EVENTS_WEBHOOK_URL requires EVENTS_STREAM (the webhook is delivered from the stream)')
  }
  if (env.EVENTS_WEBHOOK_SECRET === undefined) {
    throw new ConfigError('Invalid configuration: EVENTS_WEBHOOK_URL requires EVENTS_WEBHOOK_SECRET (at least 32 characters)')
  }
  if (env.NODE_ENV === 'production' && !env.EVENTS_WEBHOOK_URL.startsWith('https://') && !env.EVENTS_WEBHOOK_ALLOW_HTTP) {
    throw new ConfigError('Invalid configuration: EVENTS_WEBHOOK_URL must be https:// when NODE_ENV=production (or set EVENTS_WEBHOOK_ALLOW_HTTP=true)')
  }
}
