import { ConfigError } from './config-error.js'
import type { Env } from './config-schema.js'

// The webhook is fed from the stream (it is the queue that keeps events while the receiver is
// down), and a receiver must be able to tell the server's POSTs from anyone else's.
export function checkEventSettings (env: Env): void {
  if (env.EVENTS_WEBHOOK_URL === undefined) return
  if (env.EVENTS_STREAM === undefined) {
    throw new ConfigError('Invalid configuration: EVENTS_WEBHOOK_URL requires EVENTS_STREAM (the webhook is delivered from the stream)')
  }
  if (env.EVENTS_WEBHOOK_SECRET === undefined) {
    throw new ConfigError('Invalid configuration: EVENTS_WEBHOOK_URL requires EVENTS_WEBHOOK_SECRET (at least 32 characters)')
  }
}
