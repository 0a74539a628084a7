import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { verifyWebhookSignature } from '../../src/events/webhook-signature.js'
import { DELIVERY_POST_HEADERS } from '../../src/delivery/webhook-message-delivery.js'
import type { RecoveryMessage } from '../../src/delivery/recovery-message.js'
import { waitFor, type WebhookReceiver } from '../helpers/webhook-receiver.js'

export const DELIVERY_SECRET = 'a-delivery-webhook-secret-of-32-characters-or-more'
export const PUBLIC_URL = 'https://auth.example'
export const NEW_PASSWORD = 'a brand new passphrase after a reset'

// The settings of an app whose reset links go to `receiver`.
export function webhookDeliveryEnv (receiver: WebhookReceiver, more: Record<string, string> = {}): Record<string, string> {
  return { DELIVERY_WEBHOOK_URL: receiver.url, DELIVERY_WEBHOOK_SECRET: DELIVERY_SECRET, PUBLIC_URL, DELIVERY_RETRY_MS: '10', ...more }
}

export async function forgot (app: FastifyInstance, account: string, remoteAddress = '127.0.0.1'): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'POST', url: '/auth/password/forgot', payload: { account }, remoteAddress })
}

export async function reset (app: FastifyInstance, token: string, newPassword = NEW_PASSWORD, remoteAddress = '127.0.0.1'): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'POST', url: '/auth/password/reset', payload: { token, newPassword }, remoteAddress })
}

export interface DeliveredMessage {
  message: RecoveryMessage
  // The three x-auth-delivery-* headers were there and the signature verified with the secret.
  signed: boolean
  id: string
}

// The messages the receiver has been posted so far, each checked against its signature.
export function deliveredMessages (receiver: WebhookReceiver): DeliveredMessage[] {
  return receiver.posts.map((post) => ({
    message: JSON.parse(post.body) as RecoveryMessage,
    id: String(post.headers[DELIVERY_POST_HEADERS.id]),
    signed: verifyWebhookSignature(DELIVERY_SECRET, {
      signature: String(post.headers[DELIVERY_POST_HEADERS.signature]),
      timestamp: String(post.headers[DELIVERY_POST_HEADERS.timestamp]),
      body: post.body
    }, Date.now())
  }))
}

// Asks for a reset link of `account` and answers the token the receiver was sent.
export async function resetTokenFor (app: FastifyInstance, receiver: WebhookReceiver, account: string): Promise<string> {
  const before = receiver.posts.length
  const asked = await forgot(app, account)
  if (asked.statusCode !== 202) throw new Error(`forgot: ${asked.statusCode} ${asked.body}`)
  await waitFor(() => receiver.posts.length > before, 'the reset message')
  const latest = deliveredMessages(receiver).at(-1)
  if (latest === undefined) throw new Error('no message')
  return latest.message.token
}
