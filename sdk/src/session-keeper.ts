import { csrfCookie, holdsCsrfCookie } from './environment.js'
import { TabChannel, type TabMessage } from './tab-channel.js'
import type { StoredTokens, TokenStorage } from './token-storage.js'
import type { SessionEndReason } from './session-end-reason.js'

// What a request went out with, kept to judge its answer by: a 401 for credentials that have
// been replaced since (a refresh, a new login) says nothing about the current session.
export interface SentCredentials {
  // Header modes: the tokens in storage at send time; none means no session was held.
  tokens?: StoredTokens
  // Cookie mode: the CSRF cookie at send time.
  csrfToken?: string
  // Cookie mode: which sign-in of this tab (counting other tabs' logins) the cookie was from.
  signIn: number
  // Refreshes this client knew of (its own and other tabs').
  refreshes: number
}

// 'changed': new credentials are held since the request was sent; 'gone': none any more.
export type Staleness = 'current' | 'changed' | 'gone'

const CSRF_HEADER = 'x-csrf-token'
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

// The session this client holds: its credentials, who is told when it ends, and the other tabs.
export class SessionKeeper {
  private signIns = 0
  private refreshes = 0
  // The session last announced as ended, so each end is announced once.
  private lastEnded: string | undefined
  // Cookie mode: the session id the server last named as this one.
  private cookieSessionId: string | undefined
  private readonly channel: TabChannel

  constructor (
    private readonly storage: TokenStorage,
    private readonly tokenHeader: string,
    channelName: string,
    private readonly onSessionEnded?: (reason: SessionEndReason) => void
  ) {
    this.channel = new TabChannel(channelName, (message) => { this.heard(message) })
  }

  get cookieMode (): boolean {
    return this.storage.kind === 'cookie'
  }

  // Cookie mode: the HttpOnly session cookie is out of the page's sight, but without the CSRF
  // cookie set beside it nobody is signed in here; with it, only the server can tell.
  get signedIn (): boolean | undefined {
    if (!this.cookieMode) return this.storage.get() !== undefined
    return holdsCsrfCookie() === false ? false : undefined
  }

  // Read at send time (and again for a retry), never when the call was made.
  credentials (): SentCredentials {
    const sent: SentCredentials = { signIn: this.signIns, refreshes: this.refreshes }
    if (this.cookieMode) {
      const csrfToken = csrfCookie()
      return csrfToken === undefined ? sent : { ...sent, csrfToken }
    }
    const tokens = this.storage.get()
    return tokens === undefined ? sent : { ...sent, tokens }
  }

  // Every header authHeaders may set, to remove stale values from a request sent before.
  get authHeaderNames (): string[] {
    return this.cookieMode ? [CSRF_HEADER] : [this.tokenHeader]
  }

  authHeaders (method: string, sent: SentCredentials): Record<string, string> {
    if (!this.cookieMode) return sent.tokens === undefined ? {} : { [this.tokenHeader]: sent.tokens.token }
    // The server asks unsafe cookie-authenticated requests for the double-submit proof.
    if (SAFE_METHODS.has(method.toUpperCase()) || sent.csrfToken === undefined) return {}
    return { [CSRF_HEADER]: sent.csrfToken }
  }

  staleness (sent: SentCredentials): Staleness {
    if (this.cookieMode) {
      return sent.signIn === this.signIns && sent.refreshes === this.refreshes ? 'current' : 'changed'
    }
    const current = this.storage.get()
    if (current === undefined) return sent.tokens === undefined ? 'current' : 'gone'
    const same = current.token === sent.tokens?.token && current.refreshToken === sent.tokens.refreshToken
    return same ? 'current' : 'changed'
  }

  // The session id of the session held now, if known (cookie mode: from the server's answers).
  get currentSessionId (): string | undefined {
    return this.cookieMode ? this.cookieSessionId : this.storage.get()?.sessionId
  }

  noteCurrentSession (sessionId: string): void {
    if (this.cookieMode) this.cookieSessionId = sessionId
  }

  // A login or password change: a new session for this client (cookie mode: for every tab).
  signedInTo (tokens: StoredTokens): void {
    if (!this.cookieMode) {
      this.storage.set(tokens)
      return
    }
    this.signIns++
    this.cookieSessionId = tokens.sessionId
    this.channel.post({ type: 'signed-in' })
  }

  // New tokens for the same session (a refresh, or a reissue in `x-renewed-token`).
  refreshed (tokens?: StoredTokens): void {
    this.refreshes++
    if (this.cookieMode || tokens === undefined) {
      this.channel.post({ type: 'refreshed' })
      return
    }
    this.storage.set(tokens)
    this.channel.post({ type: 'refreshed', tokens })
  }

  // Cookie mode: the cookie was found fresh, refreshed by another tab whose notice is still on
  // its way. Requests sent before now will be sent again rather than refresh again.
  refreshedElsewhere (): void {
    this.refreshes++
  }

  acceptRenewedToken (sent: SentCredentials, renewed: string | null): void {
    if (this.cookieMode || renewed === null || renewed === '' || sent.tokens === undefined) return
    const current = this.storage.get()
    // It replaces the token this request went out with, nothing newer: a later reissue, a
    // refresh or a new login wins over an answer that arrives late.
    if (current === undefined || current.token !== sent.tokens.token || current.token === renewed) return
    this.refreshed({ ...current, token: renewed })
  }

  // The session `sent` belonged to is over: clear it, tell the app once, and the other tabs.
  end (reason: SessionEndReason, sent: SentCredentials): void {
    // Cookie mode, 1001: without the CSRF cookie no session was started here (or it was ended
    // and announced already): "not signed in" is no news.
    if (this.cookieMode && reason === 'invalid_token' && sent.csrfToken === undefined) return
    const key = this.cookieMode ? this.cookieSessionKey(sent.signIn) : sent.tokens?.sessionId
    if (key === undefined || key === this.lastEnded) return
    // A session this client no longer holds (it signed in anew meanwhile) is no news to the app.
    if (this.cookieMode ? sent.signIn !== this.signIns : this.heldSessionIsNot(key)) return
    this.lastEnded = key
    if (this.cookieMode) {
      this.cookieSessionId = undefined
      this.channel.post({ type: 'ended', reason })
    } else {
      if (this.storage.get()?.sessionId === key) this.storage.clear()
      this.channel.post({ type: 'ended', reason, sessionId: key })
    }
    this.notify(reason)
  }

  close (): void {
    this.channel.close()
  }

  private heldSessionIsNot (sessionId: string): boolean {
    const held = this.storage.get()?.sessionId
    return held !== undefined && held !== sessionId
  }

  private heard (message: TabMessage): void {
    switch (message.type) {
      case 'signed-in':
        this.signIns++
        this.cookieSessionId = undefined
        return
      case 'refreshed':
        this.refreshes++
        // A tab with a copy of its own takes the new tokens if they are for its session.
        if (message.tokens !== undefined && !this.storage.sharedAcrossTabs &&
            this.storage.get()?.sessionId === message.tokens.sessionId) {
          this.storage.set(message.tokens)
        }
        return
      case 'ended':
        this.heardEnded(message.reason, message.sessionId)
    }
  }

  private heardEnded (reason: SessionEndReason, sessionId: string | undefined): void {
    // Cookie mode: every tab holds the one session of the cookie. Header modes: the session
    // named, which tabs sharing one storage all hold, and others only if they hold it too.
    const key = this.cookieMode ? this.cookieSessionKey(this.signIns) : sessionId
    if (key === undefined || key === this.lastEnded) return
    if (!this.cookieMode && !this.storage.sharedAcrossTabs) {
      if (this.storage.get()?.sessionId !== key) return
      this.storage.clear()
    }
    this.lastEnded = key
    this.cookieSessionId = undefined
    this.notify(reason)
  }

  private cookieSessionKey (signIn: number): string {
    return `sign-in ${signIn}`
  }

  private notify (reason: SessionEndReason): void {
    try {
      this.onSessionEnded?.(reason)
    } catch (error) {
      // The app's mistake surfaces as an uncaught error, without breaking the request at hand.
      queueMicrotask(() => { throw error })
    }
  }
}
