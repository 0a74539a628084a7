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
    // Everything a browser needs after a login or password change.
    setSessionCookies: (token: string, account: string, refresh?: RefreshCookie) => FastifyReply
    // A new token for the same session (reissue, refresh): the CSRF token stays as it is.
    setTokenCookies: (token: string, refresh?: RefreshCookie) => FastifyReply
    clearSessionCookies: () => FastifyReply
  }
}

// The cookies only the auth server writes (login, refresh, logout), with the names and
// attributes the session check reads them by.
export default fp(async (fastify) => {
  const { config } = fastify
  const { cookies } = fastify.sessionCheck
  const { names, knownNames, common, refreshCommon, maxAge } = cookies

  fastify.decorateRequest('refreshTokenCookie', function (this: FastifyRequest) {
    return cookies.credential(this, 'refreshToken')
  })

  // The script-readable account is for front ends that read it (LOGIN_USER_COOKIE); any other
  // copy the browser holds is cleared.
  function setLoginUserCookie (reply: FastifyReply, account: string): void {
    const wanted = config.LOGIN_USER_COOKIE ? names.loginUser : undefined
    if (wanted !== undefined) reply.setCookie(wanted, account, { ...common, httpOnly: false, maxAge })
    for (const { loginUser } of knownNames) {
      if (loginUser !== wanted && cookies.carries(reply, loginUser)) reply.clearCookie(loginUser, common)
    }
  }

  fastify.decorateReply('setTokenCookies', function (token: string, refresh?: RefreshCookie) {
    cookies.setTokens(this, token, refresh)
    return this
  })

  fastify.decorateReply('setSessionCookies', function (token: string, account: string, refresh?: RefreshCookie) {
    // A new session replaces the one a reissue was for: its token must not reach the client.
    this.removeHeader(RENEWED_TOKEN_HEADER).setTokenCookies(token, refresh)
    // Every session gets its own CSRF token (replacing one that retiring the legacy names set).
    cookies.setFreshCsrf(this)
    setLoginUserCookie(this, account)
    return this
  })

  fastify.decorateReply('clearSessionCookies', function () {
    // The session is over: a token reissued for it on the way in must not reach the client.
    this.removeHeader(RENEWED_TOKEN_HEADER)
    for (const naming of knownNames) {
      this.clearCookie(naming.accessToken, common).clearCookie(naming.csrfToken, common)
      if (config.AUTH_STRATEGY === 'refresh') this.clearCookie(naming.refreshToken, refreshCommon)
      if (cookies.carries(this, naming.loginUser)) this.clearCookie(naming.loginUser, common)
    }
    return this
  })
}, { name: 'cookies', dependencies: ['config', 'session-check'] })
