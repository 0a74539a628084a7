import { ERROR_CODES } from '../../contract/api-contract.js'
import type { ApiEndpoint } from './api-endpoint.js'
import type { BufferedResponse } from './buffered-response.js'
import type { ApiErrorBody } from './errors.js'
import { sessionEndReasonOf } from './session-end-reason.js'
import type { SentCredentials, SessionKeeper } from './session-keeper.js'
import type { TokenRefresher } from './token-refresher.js'
import type { AuthClient } from './types.js'

export type UnauthorizedOutcome =
  // Send the request again, once, with the credentials held now.
  | { kind: 'retry' }
  // Give the caller the 401 as it is (the session's end, if it ended, is announced).
  | { kind: 'final' }
  // The refresh failed without ending the session (5xx, 429): the caller gets its answer.
  | { kind: 'failed', answer: BufferedResponse }

const RETRY: UnauthorizedOutcome = { kind: 'retry' }
const FINAL: UnauthorizedOutcome = { kind: 'final' }

// What the fetch wrapper and the axios interceptors share: one session, one refresh at a time.
export class AuthCore {
  constructor (
    readonly keeper: SessionKeeper,
    readonly api: ApiEndpoint,
    private readonly refresher: TokenRefresher,
    private readonly refreshesTokens: boolean
  ) {}

  // A 401 to a request sent with `sent`. `mayRetry` is false for the retry itself: a request
  // is sent at most twice.
  async answerUnauthorized (sent: SentCredentials, body: ApiErrorBody | undefined, mayRetry: boolean): Promise<UnauthorizedOutcome> {
    if (body?.errorCode === ERROR_CODES.accessTokenExpired && this.refreshesTokens) {
      if (!mayRetry) return FINAL
      const outcome = await this.refresher.afterExpiry(sent)
      if (outcome.kind === 'refreshed') return RETRY
      return outcome.kind === 'failed' ? outcome : FINAL
    }
    const reason = sessionEndReasonOf(body)
    if (reason === undefined) return FINAL
    switch (this.keeper.staleness(sent)) {
      // Refused credentials that were replaced in the meantime: the new ones may work.
      case 'changed': return mayRetry ? RETRY : FINAL
      case 'current':
        this.keeper.end(reason, sent)
        return FINAL
      default: return FINAL
    }
  }
}

// How attachAuth finds the core behind a client made by createAuthClient.
const cores = new WeakMap<AuthClient, AuthCore>()

export function registerCore (client: AuthClient, core: AuthCore): void {
  cores.set(client, core)
}

export function coreOf (client: AuthClient): AuthCore {
  const core = cores.get(client)
  if (core === undefined) throw new TypeError('Not a client made by createAuthClient')
  return core
}
