import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { RENEWED_TOKEN_HEADER } from '../session-check/index.js'
import type { CookieCredential, RefreshCookie } from '../session-check/session-cookies.js'

export { PLAIN_COOKIE_NAMES, PREFIXED_COOKIE_NAMES, REFRESH_COOKIE_PATH, type CookieCredential, type RefreshCookie, type SessionCookieNames } from '../session-check/session-cookies.js'

declare module 'fastify' {
  interface FastifyRequest {
    // The refresh token cookie, which reaches the refresh route only; undefined if not sent.
    refreshTokenCookie: () => CookieCredential | undefined
  }
  interface FastifyReply {
    // A new token for the same session (refresh): the CSRF token stays as it is. `remembered`
    // false (rememberMe: false at login): browser-session cookies, without Max-Age.
    setTokenCookies: (token: string, refresh?: RefreshCookie, remembered?: boolean) => FastifyReply
    clearSessionCookies: () => FastifyReply
  }
}

// The session cookies as the auth server's own routes write them (refresh, logout), with the
// names and attributes the session check reads them by; a login's are set by app.sessions.start.
export default fp(async (fastify) => {
  const { cookies } = fastify.sessionCheck

  fastify.decorateRequest('refreshTokenCookie', function (this: FastifyRequest) {
    return cookies.credential(this, 'refreshToken')
  })

  fastify.decorateReply('setTokenCookies', function (this: FastifyReply, token: string, refresh?: RefreshCookie, remembered = true) {
    cookies.setTokens(this, token, refresh, remembered)
    return this
  })

  fastify.decorateReply('clearSessionCookies', function (this: FastifyReply) {
    // The session is over: a token reissued for it on the way in must not reach the client.
    this.removeHeader(RENEWED_TOKEN_HEADER)
    cookies.clearSession(this)
    return this
  })
}, { name: 'cookies', dependencies: ['session-check'] })
