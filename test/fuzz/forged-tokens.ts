import { createHmac, timingSafeEqual } from 'node:crypto'
import { userIdKey, type UserId } from '../../src/users/user-id.js'

// The server's reading of `Authorization: Bearer <token>` (plugins/authenticate.ts).
const BEARER_PATTERN = /^Bearer +(\S+) *$/i

export function bearerTokenOf (authorization: string | undefined): string | undefined {
  return authorization?.match(BEARER_PATTERN)?.[1]
}

export interface SessionRef {
  userId: UserId
  sessionId: string
}

// The session a token signed with the server's key names, whatever else its claims say; such
// a token is as good as that session's own. Undefined for any other token.
export function sessionSignedFor (token: string, serverKey: string): SessionRef | undefined {
  const [header, payload, signature, ...rest] = token.split('.')
  if (header === undefined || payload === undefined || signature === undefined || rest.length > 0) return undefined
  const expected = createHmac('sha256', serverKey).update(`${header}.${payload}`).digest()
  const presented = Buffer.from(signature, 'base64url')
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return undefined
  try {
    const { userId, sid } = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>
    return (typeof userId === 'number' || typeof userId === 'string') && typeof sid === 'string' ? { userId, sessionId: sid } : undefined
  } catch {
    return undefined
  }
}

// `123` and `"123"` are one user: their sessions share keys.
export function isSameSession (a: SessionRef | undefined, b: SessionRef): boolean {
  return a !== undefined && userIdKey(a.userId) === userIdKey(b.userId) && a.sessionId === b.sessionId
}
