import { randomBytes } from 'node:crypto'
import type { UserType } from '../../contract/api-contract.js'
import { isUserId, type UserId } from '../users/user-id.js'

export { USER_TYPES, type UserType } from '../../contract/api-contract.js'

// What a session token carries. A sliding-strategy token has no `exp`: it lives exactly as
// long as its session key in Redis, which slides on use and can be deleted at any time. An
// access token of the refresh strategy has one, and still needs its session.
export interface SessionClaims {
  userId: UserId
  userType: UserType
  sid: string
  // When this token was issued (seconds).
  iat: number
  // When the user logged in (seconds, OIDC's claim name): the absolute lifetime counts from
  // here, so a reissued or refreshed token does not extend it. Tokens issued before it existed
  // lack it: then it is read as `iat`, which was their login time.
  auth_time: number
  // The session's absolute lifetime (seconds; 0: none) where its device type's rule sets one other
  // than SESSION_MAX_LIFETIME: its deadline is then decided from the token, as SESSION_MAX_LIFETIME's
  // is, once Redis has let the key go at it. Tokens without it fall back on the longest lifetime.
  max_lifetime?: number
  exp?: number
}

// 128 bits from the CSPRNG: unguessable, and short enough to sit in a Redis key.
const SESSION_ID_BYTES = 16
const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{22,64}$/
export const SESSION_ID_JSON_PATTERN = SESSION_ID_PATTERN.source
// Anything longer is refused before it reaches the JWT parser; real tokens are ~200 bytes.
export const MAX_TOKEN_LENGTH = 4096

export function newSessionId (): string {
  return randomBytes(SESSION_ID_BYTES).toString('base64url')
}

export function isSessionId (value: unknown): value is string {
  return typeof value === 'string' && SESSION_ID_PATTERN.test(value)
}

// A valid signature only proves we issued the token; the shape still has to be checked,
// because a token signed by an older release (or a bug) must never reach Redis as garbage.
export function asSessionClaims (payload: unknown): SessionClaims | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined
  const { userId, userType, sid, iat, auth_time: authTime, max_lifetime: maxLifetime, exp } = payload as Record<string, unknown>
  if (!isUserId(userId)) return undefined
  if (userType !== 'user' && userType !== 'admin') return undefined
  if (!isSessionId(sid)) return undefined
  if (!isSeconds(iat)) return undefined
  if (authTime !== undefined && (!isSeconds(authTime) || authTime > iat)) return undefined
  if (exp !== undefined && !isSeconds(exp)) return undefined
  if (maxLifetime !== undefined && !isSeconds(maxLifetime)) return undefined
  return {
    userId,
    userType,
    sid,
    iat,
    auth_time: authTime ?? iat,
    ...(maxLifetime === undefined ? {} : { max_lifetime: maxLifetime }),
    ...(exp === undefined ? {} : { exp })
  }
}

function isSeconds (value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}
