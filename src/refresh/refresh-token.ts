import { createHash, createHmac, randomBytes } from 'node:crypto'
import { isSessionId } from '../tokens/session-claims.js'
import { USER_ID_STRING_MAX_LENGTH, userIdKey, userIdOfKey, type UserId } from '../users/user-id.js'

// A refresh token is `<userId>.<session id>.<secret>`: the prefix says where its family lives
// (the user's Redis slot, the session), the 256-bit secret is what proves possession. Only
// its SHA-256 digest is stored; with 256 random bits a plain digest is as good as a slow hash.
// The prefix is the user id's key form (userIdKey), which has no `.`; it does not say whether
// the id was a number or a string of digits: the store, which keeps that, answers the id.
const SECRET_BYTES = 32
const SESSION_ID_MAX_LENGTH = 64
const SECRET_LENGTH = 43
const REFRESH_TOKEN_PATTERN = /^([A-Za-z0-9_-]{1,64})\.([A-Za-z0-9_-]{22,64})\.([A-Za-z0-9_-]{43})$/
export const REFRESH_TOKEN_MAX_LENGTH = USER_ID_STRING_MAX_LENGTH + 1 + SESSION_ID_MAX_LENGTH + 1 + SECRET_LENGTH

export interface PresentedRefreshToken {
  token: string
  userId: UserId
  family: string
  digest: string
}

export function digestOf (token: string): string {
  return createHash('sha256').update(token).digest('base64url')
}

export function newRefreshToken (userId: UserId, family: string): string {
  return `${userIdKey(userId)}.${family}.${randomBytes(SECRET_BYTES).toString('base64url')}`
}

// The token that replaces `token` at rotation. Derived, not drawn: two requests racing with
// the same token must both receive the same successor, and the store keeps no plaintext to
// hand out twice. Without the server's key nobody can compute it from the old token.
export function successorOf (presented: PresentedRefreshToken, key: Buffer): string {
  const secret = createHmac('sha256', key).update(presented.token).digest('base64url')
  return `${userIdKey(presented.userId)}.${presented.family}.${secret}`
}

export function parseRefreshToken (token: string): PresentedRefreshToken | undefined {
  if (token.length > REFRESH_TOKEN_MAX_LENGTH) return undefined
  const match = REFRESH_TOKEN_PATTERN.exec(token)
  if (match === null) return undefined
  const [, userIdText, family] = match
  if (userIdText === undefined || family === undefined || !isSessionId(family)) return undefined
  // Digits past PostgreSQL's integer read as a string id, which the stores key as text.
  return { token, userId: userIdOfKey(userIdText), family, digest: digestOf(token) }
}
