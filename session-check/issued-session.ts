import type { IssuedSessionBody } from '../contract/api-contract.js'
import type { IssuedRefreshToken } from '../src/refresh/refresh-service.js'
import type { SessionClaims } from '../src/tokens/session-claims.js'
import type { RefreshCookie } from './session-cookies.js'

const MS_PER_SECOND = 1000

function secondsUntil (ms: number, nowMs: number): number {
  return Math.max(0, Math.floor((ms - nowMs) / MS_PER_SECOND))
}

// The answer of a login (app.sessions.start), a refresh and a password change.
export function issuedSessionBody (
  token: string, claims: SessionClaims, refresh: IssuedRefreshToken | undefined, accessTokenTtlSeconds: number, nowMs: number
): IssuedSessionBody {
  const issued: IssuedSessionBody = { result: 'success', token, userId: claims.userId, userType: claims.userType, sessionId: claims.sid }
  if (refresh === undefined) return issued
  return {
    ...issued,
    expiresIn: secondsUntil((claims.iat + accessTokenTtlSeconds) * MS_PER_SECOND, nowMs),
    refreshToken: refresh.refreshToken,
    refreshExpiresIn: secondsUntil(refresh.expiresAt, nowMs)
  }
}

export function refreshCookieOf (refresh: IssuedRefreshToken | undefined, nowMs: number): RefreshCookie | undefined {
  if (refresh === undefined) return undefined
  return { refreshToken: refresh.refreshToken, maxAgeSeconds: secondsUntil(refresh.expiresAt, nowMs) }
}
