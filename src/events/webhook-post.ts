import { EVENT_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, webhookSignature } from './webhook-signature.js'

// The names of the three headers of a signed POST: the events webhook's (x-auth-events-*) or the
// recovery delivery's (x-auth-delivery-*, src/delivery/); the signing is the same.
export interface SignedPostHeaders {
  id: string
  timestamp: string
  signature: string
}

export const EVENT_POST_HEADERS: SignedPostHeaders = { id: EVENT_ID_HEADER, timestamp: TIMESTAMP_HEADER, signature: SIGNATURE_HEADER }

// Answers that say the receiver may take the event later: a timeout, a rate limit. Every other
// 4xx, and any redirect (never followed), refuses the event itself: retried a few times only.
const TRANSIENT_CLIENT_STATUSES: ReadonlySet<number> = new Set([408, 429])
const SERVER_ERROR_STATUS = 500

// How one POST ended: taken (2xx), refused for good (with the status), or to be retried.
export type PostOutcome = { kind: 'taken' } | { kind: 'refused', status: number } | { kind: 'retry' }

export function outcomeOf (status: number): PostOutcome {
  if (status >= 200 && status < 300) return { kind: 'taken' }
  if (status >= SERVER_ERROR_STATUS || TRANSIENT_CLIENT_STATUSES.has(status)) return { kind: 'retry' }
  return { kind: 'refused', status }
}

export interface WebhookTarget {
  url: string
  // The HMAC key of the signature header.
  secret: string
}

// One signed POST of one JSON body; resolves to the receiver's status, rejects when there was no
// answer (a network error, or `signal`: a timeout, the server stopping). A redirect is never
// followed: it would send the body and its signature to an address nobody configured.
export async function postSigned (
  target: WebhookTarget, headers: SignedPostHeaders, id: string, body: string, timestampSeconds: number, signal: AbortSignal
): Promise<number> {
  const response = await fetch(target.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      [headers.id]: id,
      [headers.timestamp]: String(timestampSeconds),
      [headers.signature]: webhookSignature(target.secret, timestampSeconds, body)
    },
    body,
    redirect: 'manual',
    signal
  })
  await response.body?.cancel()
  return response.status
}
