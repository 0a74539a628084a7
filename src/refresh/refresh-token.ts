import { createHash, createHmac, randomBytes } from 'node:crypto'
import { isSessionId } from '../tokens/session-claims.js'
import { isUserId } from '../users/user-id.js'

// A refresh token is `<userId>.<session id>.<secret>`: the prefix says where its family lives
// (the user's Redis slot, the session), the 256-bit secret is what proves possession. Only
// its SHA-256 digest is stored; with 256 random bits a plain digest is as good as a slow hash.
const SECRET_BYTES = 32
const REFRESH_TOKEN_PATTERN = /^([1-9][0-9]{0,9})\.([A-Za-z0-9_-]{22,64})\.([A-Za-z0-9_-]{43})$/
export const REFRESH_TOKEN_MAX_LENGTH = 128

export interface PresentedRefreshToken {
  token: string
  userId: number
  family: string
  digest: string
}

export function digestOf (token: string): string {
  return createHash('sha256').update(token).digest('base64url')
}

export function newRefreshToken (userId: number, family: string): string {
  return `${userId}.${family}.${randomBytes(SECRET_BYTES).toString('base64url')}`
}

// The token that replaces `token` at rotation. Derived, not drawn: two requests racing with
// the same token must both receive the same successor, and the store keeps no plaintext to
// hand out twice. Without the server's key nobody can compute it from the old token.
export function successorOf (presented: PresentedRefreshToken, key: Buffer): string {
  const secret = createHmac('sha256', key).update(presented.token).digest('base64url')
  return `${presented.userId}.${presented.family}.${secret}`
}

export function parseRefreshToken (token: string): PresentedRefreshToken | undefined {
  if (token.length > REFRESH_TOKEN_MAX_LENGTH) return undefined
  const match = REFRESH_TOKEN_PATTERN.exec(token)
  if (match === null) return undefined
  const [, userIdDigits, family] = match
  if (userIdDigits === undefined || family === undefined || !isSessionId(family)) return undefined
  // Ten digits reach past PostgreSQL's integer: such a token is unknown, not a database error.
  const userId = Number(userIdDigits)
  if (!isUserId(userId)) return undefined
  return { token, userId, family, digest: digestOf(token) }
}
