import fastifyCookie from '@fastify/cookie'
import fp from 'fastify-plugin'
import { randomBytes } from 'node:crypto'
import { CSRF_COOKIE } from '../src/security/csrf.js'

declare module 'fastify' {
  interface FastifyReply {
    // Everything a browser needs after a login or password change.
    setSessionCookies: (token: string, account: string, refresh?: RefreshCookie) => FastifyReply
    // A new token for the same session (reissue, refresh): the CSRF token stays as it is.
    setTokenCookies: (token: string, refresh?: RefreshCookie) => FastifyReply
    clearSessionCookies: () => FastifyReply
  }
}

export interface RefreshCookie {
  refreshToken: string
  maxAgeSeconds: number
}

export const ACCESS_TOKEN_COOKIE = 'accessToken'
// Where a reissued token is handed to clients that send theirs in a header.
export const RENEWED_TOKEN_HEADER = 'x-renewed-token'
// The existing web front end reads the signed-in account from this one, so it is script-readable.
export const LOGIN_USER_COOKIE = 'loginUser'
export const REFRESH_TOKEN_COOKIE = 'refreshToken'
// Sent to the refresh route only: no other request carries the longest-lived secret.
export const REFRESH_COOKIE_PATH = '/auth/refresh'
// Browsers cap cookie lifetimes at 400 days; without an absolute lifetime we ask for that.
const MAX_COOKIE_AGE_SECONDS = 400 * 24 * 60 * 60
const CSRF_TOKEN_BYTES = 32

export default fp(async (fastify) => {
  const { config } = fastify
  await fastify.register(fastifyCookie)

  // The cookie may outlive an idle session or an access token's `exp`; Redis and the token
  // decide (an expired access token must still arrive, to be answered 1003 rather than 1001).
  const maxAge = config.SESSION_MAX_LIFETIME > 0 ? config.SESSION_MAX_LIFETIME : MAX_COOKIE_AGE_SECONDS
  const common = { path: '/', sameSite: 'lax', secure: config.COOKIE_SECURE } as const
  const refreshCommon = { path: REFRESH_COOKIE_PATH, sameSite: 'strict', secure: config.COOKIE_SECURE, httpOnly: true } as const

  fastify.decorateReply('setTokenCookies', function (token: string, refresh?: RefreshCookie) {
    this.setCookie(ACCESS_TOKEN_COOKIE, token, { ...common, httpOnly: true, maxAge })
    if (refresh !== undefined) {
      this.setCookie(REFRESH_TOKEN_COOKIE, refresh.refreshToken, { ...refreshCommon, maxAge: refresh.maxAgeSeconds })
    }
    return this
  })

  fastify.decorateReply('setSessionCookies', function (token: string, account: string, refresh?: RefreshCookie) {
    // A new session replaces the one a reissue was for: its token must not reach the client.
    return this.removeHeader(RENEWED_TOKEN_HEADER)
      .setTokenCookies(token, refresh)
      .setCookie(LOGIN_USER_COOKIE, account, { ...common, httpOnly: false, maxAge })
      // Double-submit CSRF token: page scripts copy it into the x-csrf-token header.
      .setCookie(CSRF_COOKIE, randomBytes(CSRF_TOKEN_BYTES).toString('base64url'), { ...common, httpOnly: false, maxAge })
  })

  fastify.decorateReply('clearSessionCookies', function () {
    // The session is over: a token reissued for it on the way in must not reach the client.
    this
      .removeHeader(RENEWED_TOKEN_HEADER)
      .clearCookie(ACCESS_TOKEN_COOKIE, common)
      .clearCookie(LOGIN_USER_COOKIE, common)
      .clearCookie(CSRF_COOKIE, common)
    if (config.AUTH_STRATEGY === 'refresh') this.clearCookie(REFRESH_TOKEN_COOKIE, refreshCommon)
    return this
  })
}, { name: 'cookies', dependencies: ['config'] })
