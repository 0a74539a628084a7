import { createHmac, timingSafeEqual } from 'node:crypto'

// The headers of every webhook POST (docs/events.md): the signature covers the timestamp and the
// raw body, so a captured request cannot be replayed later with a new timestamp.
export const SIGNATURE_HEADER = 'x-auth-events-signature'
export const TIMESTAMP_HEADER = 'x-auth-events-timestamp'
// The event's stream entry id: the same on every retry of one event, so a receiver can drop a
// repeat (delivery is at least once).
export const EVENT_ID_HEADER = 'x-auth-events-id'

const SIGNATURE_SCHEME = 'sha256='
const MS_PER_SECOND = 1000

// `sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`; the timestamp is in seconds since the epoch.
export function webhookSignature (secret: string, timestampSeconds: number, body: string): string {
  return SIGNATURE_SCHEME + createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex')
}

export interface SignedRequest {
  signature: string
  timestamp: string
  body: string
}

// What a receiver checks: the signature, in constant time, and that the timestamp is recent.
export function verifyWebhookSignature (secret: string, request: SignedRequest, nowMs: number, toleranceSeconds = 300): boolean {
  const timestampSeconds = Number(request.timestamp)
  if (!Number.isInteger(timestampSeconds) || Math.abs(nowMs / MS_PER_SECOND - timestampSeconds) > toleranceSeconds) return false
  const expected = Buffer.from(webhookSignature(secret, timestampSeconds, request.body))
  const given = Buffer.from(request.signature)
  return given.length === expected.length && timingSafeEqual(given, expected)
}
