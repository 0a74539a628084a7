import fastifyCookie from '@fastify/cookie'
import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { randomBytes } from 'node:crypto'

declare module 'fastify' {
  interface FastifyRequest {
    // The access token cookie under its own name, else its legacy name; undefined if neither is sent.
    accessTokenCookie: () => CookieCredential | undefined
    // The same for the refresh token cookie, which reaches the refresh route only.
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

export interface RefreshCookie {
  refreshToken: string
  maxAgeSeconds: number
}

// A session secret a browser sent in a cookie.
export interface CookieCredential {
  value: string
  // The double-submit cookie that must vouch for it: the one named like it, so that a
  // `__Host-` session is vouched for by `__Host-csrfToken` only, which no sibling subdomain can set.
  csrfCookieName: string
}

export interface SessionCookieNames {
  accessToken: string
  csrfToken: string
  loginUser: string
  refreshToken: string
}

// Without Secure (development over http), where browsers refuse the prefixed names.
export const PLAIN_COOKIE_NAMES: SessionCookieNames = {
  accessToken: 'accessToken', csrfToken: 'csrfToken', loginUser: 'loginUser', refreshToken: 'refreshToken'
}
// With Secure. A `__Host-` cookie must be Secure, Path=/ and without Domain, so no sibling
// subdomain can set or shadow it. The refresh cookie's Path=/auth/refresh rules `__Host-` out;
// `__Secure-` still keeps it from being set over http.
export const PREFIXED_COOKIE_NAMES: SessionCookieNames = {
  accessToken: '__Host-accessToken', csrfToken: '__Host-csrfToken', loginUser: '__Host-loginUser', refreshToken: '__Secure-refreshToken'
}

// Where a reissued token is handed to clients that send theirs in a header.
export const RENEWED_TOKEN_HEADER = 'x-renewed-token'
// Sent to the refresh route only: no other request carries the longest-lived secret.
export const REFRESH_COOKIE_PATH = '/auth/refresh'
// Browsers cap cookie lifetimes at 400 days; without an absolute lifetime we ask for that.
const MAX_COOKIE_AGE_SECONDS = 400 * 24 * 60 * 60
const CSRF_TOKEN_BYTES = 32

export default fp(async (fastify) => {
  const { config } = fastify
  await fastify.register(fastifyCookie)

  const names = config.COOKIE_SECURE ? PREFIXED_COOKIE_NAMES : PLAIN_COOKIE_NAMES
  // With Secure, the plain names are what earlier releases set: still read, and replaced, for one release.
  const legacyNames = config.COOKIE_SECURE ? PLAIN_COOKIE_NAMES : undefined
  const knownNames = legacyNames === undefined ? [names] : [names, legacyNames]
  // The cookie may outlive an idle session or an access token's `exp`; Redis and the token
  // decide (an expired access token must still arrive, to be answered 1003 rather than 1001).
  const maxAge = config.SESSION_MAX_LIFETIME > 0 ? config.SESSION_MAX_LIFETIME : MAX_COOKIE_AGE_SECONDS
  const common = { path: '/', sameSite: 'lax', secure: config.COOKIE_SECURE } as const
  const refreshCommon = { path: REFRESH_COOKIE_PATH, sameSite: 'strict', secure: config.COOKIE_SECURE, httpOnly: true } as const

  function credentialCookie (request: FastifyRequest, secret: 'accessToken' | 'refreshToken'): CookieCredential | undefined {
    for (const naming of knownNames) {
      const value = request.cookies[naming[secret]]
      if (value !== undefined && value.length > 0) return { value, csrfCookieName: naming.csrfToken }
    }
    return undefined
  }

  fastify.decorateRequest('accessTokenCookie', function (this: FastifyRequest) {
    return credentialCookie(this, 'accessToken')
  })
  fastify.decorateRequest('refreshTokenCookie', function (this: FastifyRequest) {
    return credentialCookie(this, 'refreshToken')
  })

  function carries (reply: FastifyReply, name: string): boolean {
    return reply.request.cookies[name] !== undefined
  }

  // Double-submit CSRF token: page scripts copy it into the x-csrf-token header.
  function setFreshCsrfCookie (reply: FastifyReply): void {
    reply.setCookie(names.csrfToken, randomBytes(CSRF_TOKEN_BYTES).toString('base64url'), { ...common, httpOnly: false, maxAge })
  }

  // A session still under the legacy names moves to the prefixed ones, and the browser must not
  // keep sending both. The legacy csrfToken is not copied over (a sibling subdomain may have
  // planted it): a fresh token replaces it.
  function retireLegacyCookies (reply: FastifyReply): void {
    if (legacyNames === undefined) return
    if (carries(reply, legacyNames.accessToken)) reply.clearCookie(legacyNames.accessToken, common)
    // Sent to the refresh route only, so it is seen (and cleared) at the first refresh after the move.
    if (carries(reply, legacyNames.refreshToken)) reply.clearCookie(legacyNames.refreshToken, refreshCommon)
    if (carries(reply, legacyNames.csrfToken)) {
      reply.clearCookie(legacyNames.csrfToken, common)
      if (!carries(reply, names.csrfToken)) setFreshCsrfCookie(reply)
    }
  }

  // The script-readable account is for front ends that read it (LOGIN_USER_COOKIE); any other
  // copy the browser holds is cleared.
  function setLoginUserCookie (reply: FastifyReply, account: string): void {
    const wanted = config.LOGIN_USER_COOKIE ? names.loginUser : undefined
    if (wanted !== undefined) reply.setCookie(wanted, account, { ...common, httpOnly: false, maxAge })
    for (const { loginUser } of knownNames) {
      if (loginUser !== wanted && carries(reply, loginUser)) reply.clearCookie(loginUser, common)
    }
  }

  fastify.decorateReply('setTokenCookies', function (token: string, refresh?: RefreshCookie) {
    this.setCookie(names.accessToken, token, { ...common, httpOnly: true, maxAge })
    if (refresh !== undefined) {
      this.setCookie(names.refreshToken, refresh.refreshToken, { ...refreshCommon, maxAge: refresh.maxAgeSeconds })
    }
    retireLegacyCookies(this)
    return this
  })

  fastify.decorateReply('setSessionCookies', function (token: string, account: string, refresh?: RefreshCookie) {
    // A new session replaces the one a reissue was for: its token must not reach the client.
    this.removeHeader(RENEWED_TOKEN_HEADER).setTokenCookies(token, refresh)
    // Every session gets its own CSRF token (replacing one that retiring the legacy names set).
    setFreshCsrfCookie(this)
    setLoginUserCookie(this, account)
    return this
  })

  fastify.decorateReply('clearSessionCookies', function () {
    // The session is over: a token reissued for it on the way in must not reach the client.
    this.removeHeader(RENEWED_TOKEN_HEADER)
    for (const naming of knownNames) {
      this.clearCookie(naming.accessToken, common).clearCookie(naming.csrfToken, common)
      if (config.AUTH_STRATEGY === 'refresh') this.clearCookie(naming.refreshToken, refreshCommon)
      if (carries(this, naming.loginUser)) this.clearCookie(naming.loginUser, common)
    }
    return this
  })
}, { name: 'cookies', dependencies: ['config'] })
