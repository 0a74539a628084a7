import type { FastifyReply, FastifyRequest } from 'fastify'
import { randomBytes } from 'node:crypto'

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

export interface SessionCookieSettings {
  COOKIE_SECURE: boolean
  SESSION_MAX_LIFETIME: number
  // Whether a login also sets the script-readable account cookie (LOGIN_USER_COOKIE).
  LOGIN_USER_COOKIE?: boolean
  AUTH_STRATEGY: 'sliding' | 'refresh'
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

// Sent to the refresh route only: no other request carries the longest-lived secret.
export const REFRESH_COOKIE_PATH = '/auth/refresh'
// Browsers cap cookie lifetimes at 400 days; without an absolute lifetime we ask for that.
const MAX_COOKIE_AGE_SECONDS = 400 * 24 * 60 * 60
const CSRF_TOKEN_BYTES = 32

// The request's cookies, parsed the first time something asks: the auth server registers
// @fastify/cookie without its parsing hook, so a request without a cookie route parses nothing.
// (A host app whose @fastify/cookie parses every request has them ready.)
export function sentCookies (request: FastifyRequest): Record<string, string | undefined> {
  if (request.cookies === null || request.cookies === undefined) {
    const header = request.headers.cookie
    request.cookies = header === undefined ? {} : request.server.parseCookie(header)
  }
  return request.cookies
}

// The session cookies' names and attributes, and every write of them: a reissued token (any
// service that checks sessions), a new session (whoever starts one), its end (a logout).
export class SessionCookies {
  readonly names: SessionCookieNames
  // With Secure, the plain names are what earlier releases set: still read, and replaced, for one release.
  readonly legacyNames: SessionCookieNames | undefined
  readonly knownNames: readonly SessionCookieNames[]
  // The cookie may outlive an idle session or an access token's `exp`; Redis and the token
  // decide (an expired access token must still arrive, to be answered 1003 rather than 1001).
  readonly maxAge: number
  readonly common: { path: '/', sameSite: 'lax', secure: boolean }
  readonly refreshCommon: { path: string, sameSite: 'strict', secure: boolean, httpOnly: true }

  private readonly loginUserCookie: boolean
  private readonly clearsRefreshCookie: boolean

  constructor (settings: SessionCookieSettings) {
    this.loginUserCookie = settings.LOGIN_USER_COOKIE === true
    this.clearsRefreshCookie = settings.AUTH_STRATEGY === 'refresh'
    this.names = settings.COOKIE_SECURE ? PREFIXED_COOKIE_NAMES : PLAIN_COOKIE_NAMES
    this.legacyNames = settings.COOKIE_SECURE ? PLAIN_COOKIE_NAMES : undefined
    this.knownNames = this.legacyNames === undefined ? [this.names] : [this.names, this.legacyNames]
    this.maxAge = settings.SESSION_MAX_LIFETIME > 0 ? settings.SESSION_MAX_LIFETIME : MAX_COOKIE_AGE_SECONDS
    this.common = { path: '/', sameSite: 'lax', secure: settings.COOKIE_SECURE }
    this.refreshCommon = { path: REFRESH_COOKIE_PATH, sameSite: 'strict', secure: settings.COOKIE_SECURE, httpOnly: true }
  }

  // The cookie under its own name, else its legacy name; undefined if neither is sent.
  credential (request: FastifyRequest, secret: 'accessToken' | 'refreshToken'): CookieCredential | undefined {
    // No Cookie header, no cookie: the common case for apps that send a header costs nothing more.
    if (request.headers.cookie === undefined) return undefined
    const sent = sentCookies(request)
    for (const naming of this.knownNames) {
      const value = sent[naming[secret]]
      if (value !== undefined && value.length > 0) return { value, csrfCookieName: naming.csrfToken }
    }
    return undefined
  }

  // A new token for the same session (reissue, refresh): the CSRF token stays as it is.
  // `remembered` false (rememberMe: false at login): browser-session cookies, without Max-Age.
  setTokens (reply: FastifyReply, token: string, refresh?: RefreshCookie, remembered = true): void {
    reply.setCookie(this.names.accessToken, token, { ...this.common, httpOnly: true, ...this.lifetime(remembered, this.maxAge) })
    if (refresh !== undefined) {
      reply.setCookie(this.names.refreshToken, refresh.refreshToken, { ...this.refreshCommon, ...this.lifetime(remembered, refresh.maxAgeSeconds) })
    }
    this.retireLegacy(reply)
  }

  // Everything a browser needs after a login or password change. `account`: for the
  // script-readable cookie (LOGIN_USER_COOKIE), which a session without one does not get.
  setSession (reply: FastifyReply, token: string, account: string | undefined, refresh?: RefreshCookie, remembered = true): void {
    this.setTokens(reply, token, refresh, remembered)
    // Every session gets its own CSRF token (replacing one that retiring the legacy names set).
    this.setFreshCsrf(reply, remembered)
    this.setLoginUser(reply, account, remembered)
  }

  // A session cookie (no Max-Age, so no Expires either) ends when the browser does.
  private lifetime (remembered: boolean, maxAge: number): { maxAge?: number } {
    return remembered ? { maxAge } : {}
  }

  clearSession (reply: FastifyReply): void {
    for (const naming of this.knownNames) {
      reply.clearCookie(naming.accessToken, this.common).clearCookie(naming.csrfToken, this.common)
      if (this.clearsRefreshCookie) reply.clearCookie(naming.refreshToken, this.refreshCommon)
      if (this.carries(reply, naming.loginUser)) reply.clearCookie(naming.loginUser, this.common)
    }
  }

  // The script-readable account is for front ends that read it (LOGIN_USER_COOKIE); any other
  // copy the browser holds is cleared.
  private setLoginUser (reply: FastifyReply, account: string | undefined, remembered: boolean): void {
    const wanted = this.loginUserCookie && account !== undefined ? this.names.loginUser : undefined
    if (wanted !== undefined) reply.setCookie(wanted, account ?? '', { ...this.common, httpOnly: false, ...this.lifetime(remembered, this.maxAge) })
    for (const { loginUser } of this.knownNames) {
      if (loginUser !== wanted && this.carries(reply, loginUser)) reply.clearCookie(loginUser, this.common)
    }
  }

  // Double-submit CSRF token: page scripts copy it into the x-csrf-token header.
  setFreshCsrf (reply: FastifyReply, remembered = true): void {
    reply.setCookie(this.names.csrfToken, randomBytes(CSRF_TOKEN_BYTES).toString('base64url'), { ...this.common, httpOnly: false, ...this.lifetime(remembered, this.maxAge) })
  }

  carries (reply: FastifyReply, name: string): boolean {
    return sentCookies(reply.request)[name] !== undefined
  }

  // A session still under the legacy names moves to the prefixed ones, and the browser must not
  // keep sending both. The legacy csrfToken is not copied over (a sibling subdomain may have
  // planted it): a fresh token replaces it.
  private retireLegacy (reply: FastifyReply): void {
    const legacy = this.legacyNames
    if (legacy === undefined) return
    if (this.carries(reply, legacy.accessToken)) reply.clearCookie(legacy.accessToken, this.common)
    // Sent to the refresh route only, so it is seen (and cleared) at the first refresh after the move.
    if (this.carries(reply, legacy.refreshToken)) reply.clearCookie(legacy.refreshToken, this.refreshCommon)
    if (this.carries(reply, legacy.csrfToken)) {
      reply.clearCookie(legacy.csrfToken, this.common)
      if (!this.carries(reply, this.names.csrfToken)) this.setFreshCsrf(reply)
    }
  }
}
