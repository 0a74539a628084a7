import fastifyCookie from '@fastify/cookie'
import fp from 'fastify-plugin'
import { randomBytes } from 'node:crypto'
import { CSRF_COOKIE } from '../src/security/csrf.js'

declare module 'fastify' {
  interface FastifyReply {
    setSessionCookies: (token: string, account: string) => FastifyReply
    clearSessionCookies: () => FastifyReply
  }
}

export const ACCESS_TOKEN_COOKIE = 'accessToken'
// The existing web front end reads the signed-in account from this one, so it is script-readable.
export const LOGIN_USER_COOKIE = 'loginUser'
// Browsers cap cookie lifetimes at 400 days; without an absolute lifetime we ask for that.
const MAX_COOKIE_AGE_SECONDS = 400 * 24 * 60 * 60
const CSRF_TOKEN_BYTES = 32

export default fp(async (fastify) => {
  const { config } = fastify
  await fastify.register(fastifyCookie)

  // The cookie may outlive an idle session; Redis, not the browser, decides when the session ends.
  const maxAge = config.SESSION_MAX_LIFETIME > 0 ? config.SESSION_MAX_LIFETIME : MAX_COOKIE_AGE_SECONDS
  const common = { path: '/', sameSite: 'lax', secure: config.COOKIE_SECURE } as const

  fastify.decorateReply('setSessionCookies', function (token: string, account: string) {
    return this
      .setCookie(ACCESS_TOKEN_COOKIE, token, { ...common, httpOnly: true, maxAge })
      .setCookie(LOGIN_USER_COOKIE, account, { ...common, httpOnly: false, maxAge })
      // Double-submit CSRF token: page scripts copy it into the x-csrf-token header.
      .setCookie(CSRF_COOKIE, randomBytes(CSRF_TOKEN_BYTES).toString('base64url'), { ...common, httpOnly: false, maxAge })
  })

  fastify.decorateReply('clearSessionCookies', function () {
    return this
      .clearCookie(ACCESS_TOKEN_COOKIE, common)
      .clearCookie(LOGIN_USER_COOKIE, common)
      .clearCookie(CSRF_COOKIE, common)
  })
}, { name: 'cookies', dependencies: ['config'] })
