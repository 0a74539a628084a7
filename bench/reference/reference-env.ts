import { randomBytes } from 'node:crypto'

// What every reference server shares: its settings from the bench, the answer of the
// authenticated route (the same JSON as our GET /auth/me) and a stand-in for user ids.

export interface ReferenceEnv {
  port: number
  redisUrl: string
  // Signs the JWTs (naive design) or the session cookies (session libraries).
  secret: string
}

export function readReferenceEnv (): ReferenceEnv {
  const { PORT, REDIS_URL, JWT_SECRET } = process.env
  if (PORT === undefined || JWT_SECRET === undefined) throw new Error('PORT and JWT_SECRET are required')
  return { port: Number(PORT), redisUrl: REDIS_URL ?? 'redis://127.0.0.1:6379', secret: JWT_SECRET }
}

// Our default SESSION_TTL: every design here slides a 7-day idle timeout.
export const SESSION_TTL_SECONDS = 7 * 24 * 60 * 60
export const HOST = '127.0.0.1'

// Where each reference design keeps its sessions in Redis (the bench measures their size).
export const NAIVE_KEY_PREFIX = 'ACCESS_TOKEN:'
export const FASTIFY_SESSION_KEY_PREFIX = 'fastify-sess:'
export const EXPRESS_SESSION_KEY_PREFIX = 'express-sess:'

export interface BenchUser {
  userId: number
  userType: 'user'
  account: string
  sessionId: string
}

// The schema our /auth/me answers with, so every Fastify server serialises the same way.
export const meResponseSchema = {
  type: 'object',
  required: ['userId', 'userType', 'account', 'sessionId'],
  properties: {
    userId: { type: 'integer' },
    userType: { type: 'string' },
    account: { type: 'string' },
    sessionId: { type: 'string' }
  }
} as const

export const UNAUTHENTICATED = { error: 'unauthenticated' }

// Every authenticated route answers 200 with the user or 401 with UNAUTHENTICATED.
export const meResponses = {
  200: meResponseSchema,
  401: { type: 'object', required: ['error'], properties: { error: { type: 'string' } } }
} as const

export const loginBodySchema = {
  type: 'object',
  required: ['account'],
  properties: { account: { type: 'string', minLength: 1 } }
} as const

export interface LoginBody {
  account: string
}

// 128 random bits, like our session ids.
export function newSessionId (): string {
  return randomBytes(16).toString('base64url')
}

// The reference servers have no user table: the login-like route accepts any account (no
// password check) and numbers accounts in the order they first appear.
export class UserIds {
  private readonly ids = new Map<string, number>()

  idOf (account: string): number {
    let id = this.ids.get(account)
    if (id === undefined) {
      id = this.ids.size + 1
      this.ids.set(account, id)
    }
    return id
  }

  newSession (account: string): BenchUser {
    return { userId: this.idOf(account), userType: 'user', account, sessionId: newSessionId() }
  }
}
