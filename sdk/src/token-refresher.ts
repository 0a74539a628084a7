import { ERROR_CODES } from '../../contract/api-contract.js'
import type { ApiEndpoint } from './api-endpoint.js'
import { BufferedResponse } from './buffered-response.js'
import { withLock } from './environment.js'
import { readApiErrorBody } from './errors.js'
import { asIssuedSession, tokensOf } from './issued-session.js'
import { sessionEndReasonOf } from './session-end-reason.js'
import type { SentCredentials, SessionKeeper } from './session-keeper.js'

export type RefreshOutcome =
  // Retry with the credentials held now.
  | { kind: 'refreshed' }
  // The session ended (announced already), or none is held: nothing to retry with.
  | { kind: 'over' }
  // A 5xx, 429, ...: the session lives on; the caller gets this answer.
  | { kind: 'failed', answer: BufferedResponse }

const REFRESHED: RefreshOutcome = { kind: 'refreshed' }
const OVER: RefreshOutcome = { kind: 'over' }

// One refresh for every request that met an expired access token, in this tab (one promise
// they all wait on) and across tabs (a Web Lock, under which a tab first checks whether
// another one refreshed while it waited).
export class TokenRefresher {
  private inflight: Promise<RefreshOutcome> | undefined

  constructor (
    private readonly keeper: SessionKeeper,
    private readonly api: ApiEndpoint,
    private readonly lockName: string
  ) {}

  async afterExpiry (sent: SentCredentials): Promise<RefreshOutcome> {
    const known = this.alreadyDone(sent)
    if (known !== undefined) return known
    this.inflight ??= withLock(this.lockName, async () => await this.refreshUnlessDone(sent))
      .finally(() => { this.inflight = undefined })
    return await this.inflight
  }

  // Credentials replaced since the request was sent: a refresh (here or in another tab) or a
  // login came first, and the request only needs to be sent again.
  private alreadyDone (sent: SentCredentials): RefreshOutcome | undefined {
    switch (this.keeper.staleness(sent)) {
      case 'changed': return REFRESHED
      case 'gone': return OVER
      default: return undefined
    }
  }

  private async refreshUnlessDone (sent: SentCredentials): Promise<RefreshOutcome> {
    // Header modes: another tab that refreshed stored new tokens (localStorage), or posted them
    // (memory storage), before it let go of the lock.
    const known = this.alreadyDone(sent)
    if (known !== undefined) return known
    if (!this.keeper.cookieMode) return sent.tokens === undefined ? OVER : await this.refresh(sent)
    return await this.refreshCookieUnlessFresh()
  }

  // Cookie mode: the page cannot read the HttpOnly cookie to see whether another tab refreshed
  // it. The "refreshed" notice that tab posts before letting go of the lock usually arrives
  // first (then alreadyDone said so), but a BroadcastChannel message and a lock grant travel
  // separately, and nothing orders them. The cookie jar is ordered: a refresh's Set-Cookie is
  // stored before its fetch resolves, so before the lock is let go. So under the lock one cheap
  // GET /auth/me (a safe method: no CSRF proof, nothing changes) asks the server whether the
  // cookie works now; only a 1003 sends POST /auth/refresh. One extra GET per tab and expiry
  // buys exactly one refresh however the messages are timed.
  private async refreshCookieUnlessFresh (): Promise<RefreshOutcome> {
    const sent = this.keeper.credentials()
    const probe = await this.api.send('/auth/me', { method: 'GET', credentials: 'include' })
    if (probe.ok) {
      await probe.arrayBuffer()
      this.keeper.refreshedElsewhere()
      return REFRESHED
    }
    const body = await readApiErrorBody(probe)
    if (probe.status === 401 && body?.errorCode === ERROR_CODES.accessTokenExpired) {
      await probe.arrayBuffer()
      return await this.refresh(sent)
    }
    const reason = probe.status === 401 ? sessionEndReasonOf(body) : undefined
    if (reason === undefined) return { kind: 'failed', answer: await BufferedResponse.of(probe) }
    this.keeper.end(reason, sent)
    return OVER
  }

  // POST /auth/refresh: header modes send the refresh token; cookie mode sends no body, and the
  // refreshToken cookie (Path=/auth/refresh) with the CSRF proof.
  private async refresh (sent: SentCredentials): Promise<RefreshOutcome> {
    const init: RequestInit = this.keeper.cookieMode
      ? { method: 'POST', credentials: 'include', headers: this.keeper.authHeaders('POST', sent) }
      : {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ refreshToken: sent.tokens?.refreshToken })
        }
    const response = await this.api.send('/auth/refresh', init)
    if (response.ok) {
      const issued = asIssuedSession(await response.json())
      // A login, logout or session end while the refresh was on its way wins: its answer must
      // not bring back the session it was for (the cookie jar, in cookie mode, is the browser's).
      if (this.keeper.cookieMode) {
        this.keeper.refreshed()
        return REFRESHED
      }
      const staleness = this.keeper.staleness(sent)
      if (staleness === 'current') this.keeper.refreshed(tokensOf(issued))
      return staleness === 'gone' ? OVER : REFRESHED
    }
    // Refused, but for credentials replaced meanwhile: the waiting requests go out with the new ones.
    if (!this.keeper.cookieMode && this.keeper.staleness(sent) !== 'current') {
      await response.arrayBuffer()
      return this.keeper.staleness(sent) === 'gone' ? OVER : REFRESHED
    }
    // Only a refused refresh token (1004), an ended session (1002) or a banned user (403 1011) ends
    // the session; 429, 503, a 401 or 403 of another kind and the like leave it alone.
    const body = response.status === 401 || response.status === 403 ? await readApiErrorBody(response) : undefined
    const ends = body?.errorCode === ERROR_CODES.sessionEnded || body?.errorCode === ERROR_CODES.invalidRefreshToken ||
      body?.errorCode === ERROR_CODES.accountDisabled
    const reason = ends ? sessionEndReasonOf(body) : undefined
    if (reason === undefined) return { kind: 'failed', answer: await BufferedResponse.of(response) }
    this.keeper.end(reason, sent)
    return OVER
  }
}
