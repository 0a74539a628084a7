import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto'

// Every service that checks sessions holds credentials to the same Redis, so anything in the
// stream may have been written by one of them (or by anyone with redis-cli). The auth server
// signs each event as it makes it, and the webhook posts only what verifies: a Redis writer
// cannot make the server post, under its webhook signature, an event the server did not make.

// The entry field holding the signature, next to `event` (the JSON it covers).
export const SIGNATURE_FIELD = 'signature'

const SIGNATURE_SCHEME = 'sha256='
const KEY_BYTES = 32
// HKDF's info: this key signs stream entries and nothing else, so it is not the webhook key
// itself, and a webhook signature is never a valid entry signature (nor the other way round).
const KEY_PURPOSE = 'token-session-auth: session event stream entries v1'

// The entry-signing key, derived from EVENTS_WEBHOOK_SECRET: only the auth server and the
// webhook's receiver hold that secret, the services that share Redis do not, and a deployment
// has no second secret to generate, distribute or forget.
export function eventSigningKey (webhookSecret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', webhookSecret, Buffer.alloc(0), KEY_PURPOSE, KEY_BYTES))
}

// `sha256=<hex HMAC-SHA256 of the event's JSON>`, as stored in the entry's `event` field: the
// JSON holds every field of the event, and is what the webhook posts.
export function eventSignature (key: Buffer, eventJson: string): string {
  return SIGNATURE_SCHEME + createHmac('sha256', key).update(eventJson).digest('hex')
}

export function verifyEventSignature (key: Buffer, eventJson: string, signature: string): boolean {
  const expected = Buffer.from(eventSignature(key, eventJson))
  const given = Buffer.from(signature)
  return given.length === expected.length && timingSafeEqual(given, expected)
}
