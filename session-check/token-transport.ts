import type { FastifyRequest } from 'fastify'
import type { CookieCredential, SessionCookies } from './session-cookies.js'

export interface PresentedToken {
  token: string
  // Set when the token came in a cookie.
  cookie?: CookieCredential
}

const BEARER_PATTERN = /^Bearer +(\S+) *$/i

export function singleHeader (value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined
}

// The token header first (what the mobile apps send), then a Bearer header, then the cookie.
export function presentedToken (request: FastifyRequest, tokenHeader: string, cookies: SessionCookies): PresentedToken | undefined {
  const header = singleHeader(request.headers[tokenHeader])
  if (header !== undefined) return { token: header }
  const bearer = singleHeader(request.headers.authorization)?.match(BEARER_PATTERN)?.[1]
  if (bearer !== undefined) return { token: bearer }
  const cookie = cookies.credential(request, 'accessToken')
  return cookie === undefined ? undefined : { token: cookie.value, cookie }
}

// Where a reissued token is handed to clients that send theirs in a header.
export const RENEWED_TOKEN_HEADER = 'x-renewed-token'
