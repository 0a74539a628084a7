import { ERROR_CODES } from '../../contract/api-contract.js'
import { asAuthAt, asBackupCodes, asMe, asRevokedCount, asSessionList, asTotpEnabled, asTotpSetup } from './api-answers.js'
import { ApiEndpoint } from './api-endpoint.js'
import { AuthCore, registerCore } from './auth-core.js'
import { authenticatedFetch } from './authenticated-fetch.js'
import { authErrorFrom } from './errors.js'
import { asIssuedSession, tokensOf } from './issued-session.js'
import { SessionKeeper } from './session-keeper.js'
import { TokenRefresher } from './token-refresher.js'
import { memoryStorage } from './token-storage.js'
import type { AuthClient, AuthClientOptions, LoginResult } from './types.js'

const DEFAULT_TOKEN_HEADER = 'token'
// Tabs talk about, and lock, the session of one API.
const CHANNEL_PREFIX = 'token-session-auth:'
const LOCK_PREFIX = 'token-session-auth:refresh:'

/**
 * A client of one auth server: it signs in and out, keeps the tokens in `storage`, and sends
 * requests to the API with them (`client.fetch`, or axios through `attachAuth`). Clients with
 * the same `baseUrl` in several tabs share refreshes and session ends.
 *
 * @example
 * ```ts
 * import { createAuthClient, localStorageStorage } from '@token-session-auth/client'
 *
 * const auth = createAuthClient({
 *   baseUrl: 'https://auth.example.com',
 *   strategy: 'refresh',
 *   storage: localStorageStorage(),
 *   onSessionEnded: (reason) => showSignIn(reason)
 * })
 * await auth.login('ada@example.com', 'correct horse battery staple')
 * const answer = await auth.fetch('/notes')
 * ```
 */
export function createAuthClient (options: AuthClientOptions): AuthClient {
  const storage = options.storage ?? memoryStorage()
  const api = new ApiEndpoint(options.baseUrl, options.fetch)
  const keeper = new SessionKeeper(storage, options.tokenHeader ?? DEFAULT_TOKEN_HEADER,
    `${CHANNEL_PREFIX}${options.baseUrl}`, options.onSessionEnded)
  const refresher = new TokenRefresher(keeper, api, `${LOCK_PREFIX}${options.baseUrl}`)
  const core = new AuthCore(keeper, api, refresher, options.strategy === 'refresh')
  const cookieCredentials: RequestInit = keeper.cookieMode ? { credentials: 'include' } : {}

  // An authenticated call to the API; any answer but a 2xx is thrown as an AuthError.
  async function call (method: string, path: string, body?: unknown): Promise<Response> {
    const response = await authenticatedFetch(core, path, { method, json: body })
    if (!response.ok) throw await authErrorFrom(response)
    return response
  }

  // A request that needs no session (and sends none): login, the password reset.
  async function send (path: string, body: unknown): Promise<Response> {
    const response = await api.send(path, {
      ...cookieCredentials,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body)
    })
    if (!response.ok) throw await authErrorFrom(response)
    return response
  }

  // Login and password change: the answer names the new session (and holds its tokens).
  function startSession (answer: unknown): LoginResult {
    const issued = asIssuedSession(answer)
    keeper.signedInTo(tokensOf(issued))
    return { userId: issued.userId, userType: issued.userType, sessionId: issued.sessionId }
  }

  const client: AuthClient = {
    async login (account, password, { rememberMe } = {}) {
      const { deviceId, deviceType } = options
      // Unset options are not sent: the server's defaults apply.
      const response = await api.send('/auth/login', {
        ...cookieCredentials,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ account, password, deviceId, deviceType, rememberMe })
      })
      if (!response.ok) {
        const error = await authErrorFrom(response)
        // The password was right; the session waits for the second factor.
        if (error.errorCode === ERROR_CODES.secondFactorRequired && error.challenge !== undefined) {
          return { secondFactorRequired: true, challenge: error.challenge }
        }
        throw error
      }
      return startSession(await response.json())
    },

    async completeSecondFactor (challenge, code) {
      return startSession(await (await send('/auth/login/second-factor', { challenge, code })).json())
    },

    async totpEnabled () {
      return asTotpEnabled(await (await call('GET', '/auth/2fa/totp')).json())
    },

    async setUpTotp () {
      return asTotpSetup(await (await call('POST', '/auth/2fa/totp/setup')).json())
    },

    async confirmTotp (code) {
      return asBackupCodes(await (await call('POST', '/auth/2fa/totp/confirm', { code })).json())
    },

    // This session lives on; the others end, and learn why at their next request.
    async disableTotp (code) {
      return asRevokedCount(await (await call('DELETE', '/auth/2fa/totp', { code })).json())
    },

    async logout () {
      const sent = keeper.credentials()
      const response = await authenticatedFetch(core, '/auth/logout', { method: 'POST' })
      // A 401: the session was over already (and announced with the server's reason).
      if (!response.ok && response.status !== 401) throw await authErrorFrom(response)
      await response.arrayBuffer()
      keeper.end('logout', sent)
    },

    async logoutAll () {
      const sent = keeper.credentials()
      const answer: unknown = await (await call('POST', '/auth/logout-all')).json()
      keeper.end('logout_all', sent)
      return asRevokedCount(answer)
    },

    // This session lives on: nothing to clear, nothing to announce here.
    async logoutOthers () {
      return asRevokedCount(await (await call('POST', '/auth/logout-others')).json())
    },

    // No session is needed, and none is touched: the answer is the same for any account.
    async forgotPassword (account) {
      await (await send('/auth/password/forgot', { account })).arrayBuffer()
    },

    // The user's sessions end on the server, this client's too if it had one: its next request
    // learns why ('password_reset'), as every other device does.
    async resetPassword (token, newPassword) {
      await (await send('/auth/password/reset', { token, newPassword })).arrayBuffer()
    },

    async changePassword (oldPassword, newPassword) {
      startSession(await (await call('POST', '/auth/password', { oldPassword, newPassword })).json())
    },

    // The same session and tokens: only its sign-in time moves.
    async reauthenticate (password, code) {
      return asAuthAt(await (await call('POST', '/auth/reauthenticate', { password, code })).json())
    },

    async sessions () {
      const sessions = asSessionList(await (await call('GET', '/auth/sessions')).json())
      const current = sessions.find((session) => session.current)
      if (current !== undefined) keeper.noteCurrentSession(current.id)
      return sessions
    },

    async revokeSession (id) {
      const sent = keeper.credentials()
      const own = id === keeper.currentSessionId
      await (await call('DELETE', `/auth/sessions/${encodeURIComponent(id)}`)).arrayBuffer()
      if (own) keeper.end('revoked', sent)
    },

    async me () {
      const me = asMe(await (await call('GET', '/auth/me')).json())
      keeper.noteCurrentSession(me.sessionId)
      return me
    },

    fetch: async (input, init) => await authenticatedFetch(core, input, init),
    isSignedIn: () => keeper.signedIn,
    close: () => { keeper.close() }
  }
  registerCore(client, core)
  return client
}
