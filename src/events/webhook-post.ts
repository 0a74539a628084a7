import { EVENT_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, webhookSignature } from './webhook-signature.js'

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

// One signed POST of one event; resolves to the receiver's status, rejects when there was no
// answer (a network error, or `signal`: a timeout, the server stopping). A redirect is never
// followed: it would send the event and its signature to an address nobody configured.
export async function postSignedEvent (target: WebhookTarget, id: string, body: string, timestampSeconds: number, signal: AbortSignal): Promise<number> {
  const response = await fetch(target.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      [EVENT_ID_HEADER]: id,
      [TIMESTAMP_HEADER]: String(timestampSeconds),
      [SIGNATURE_HEADER]: webhookSignature(target.secret, timestampSeconds, body)
    },
    body,
    redirect: 'manual',
    signal
  })
  await response.body?.cancel()
  return response.status
}
