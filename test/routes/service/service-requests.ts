import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { newServiceKey, serviceKeyEntry } from '../../../src/service-keys/service-key.js'

// The backends of the /service/ route tests, and their requests. Not a cases file: the cases of
// this folder import it.

// Every scope: what a backend that signs users in and out holds.
export const BILLING_KEY = newServiceKey()
// sessions:read only: a support tool.
export const SUPPORT_KEY = newServiceKey()
// users:ban only: a moderation tool.
export const MODERATION_KEY = newServiceKey()

export const SERVICE_KEYS_ENV = {
  SERVICE_KEYS: JSON.stringify([
    serviceKeyEntry('billing', BILLING_KEY, ['sessions:start', 'sessions:read', 'sessions:end']),
    serviceKeyEntry('support', SUPPORT_KEY, ['sessions:read']),
    serviceKeyEntry('moderation', MODERATION_KEY, ['users:ban'])
  ])
}

export function bearer (key: string): { authorization: string } {
  return { authorization: `Bearer ${key}` }
}

export async function startSession (app: FastifyInstance, payload: Record<string, unknown>, key = BILLING_KEY): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'POST', url: '/service/sessions', headers: bearer(key), payload })
}

export async function listSessions (app: FastifyInstance, userId: number | string, key = BILLING_KEY): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'GET', url: `/service/users/${userId}/sessions`, headers: bearer(key) })
}

export async function endSession (app: FastifyInstance, userId: number | string, sessionId: string, key = BILLING_KEY): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'DELETE', url: `/service/users/${userId}/sessions/${sessionId}`, headers: bearer(key) })
}

export async function endAllSessions (app: FastifyInstance, userId: number | string, reason?: string, key = BILLING_KEY): Promise<LightMyRequestResponse> {
  const query = reason === undefined ? '' : `?reason=${reason}`
  return await app.inject({ method: 'DELETE', url: `/service/users/${userId}/sessions${query}`, headers: bearer(key) })
}

export async function banUser (app: FastifyInstance, userId: number | string, payload: Record<string, unknown>, key = MODERATION_KEY): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'PUT', url: `/service/users/${userId}/ban`, headers: bearer(key), payload })
}

export async function unbanUser (app: FastifyInstance, userId: number | string, key = MODERATION_KEY): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'DELETE', url: `/service/users/${userId}/ban`, headers: bearer(key) })
}

// The session a 201 of POST /service/sessions started.
export interface StartedSession {
  token: string
  sessionId: string
  userId: number | string
  userType: string
  refreshToken?: string
}
