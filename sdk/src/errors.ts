import type { ErrorBody } from '../../contract/api-contract.js'

// What the SDK reads of the server's one error shape (the contract's ErrorBody).
export type ApiErrorBody = Pick<ErrorBody, 'errorCode' | 'info' | 'reason' | 'maxAge' | 'until' | 'challenge'>

/**
 * An error answer of the API, as the client's methods throw it and `authErrorFrom` makes it.
 *
 * @example
 * ```ts
 * try {
 *   await auth.login(account, password)
 * } catch (error) {
 *   if (error instanceof AuthError && error.errorCode === '1010') showWrongPassword()
 *   else throw error
 * }
 * ```
 */
export class AuthError extends Error {
  override readonly name = 'AuthError'

  constructor (
    /** The HTTP status. */
    readonly status: number,
    /**
     * The server's code (`"1002"`, `"1503"`, ...), or `''` when the body was not the API's error
     * shape (a proxy's error page, say).
     */
    readonly errorCode: string,
    /** The server's message (or the status text), for logs rather than for users. */
    readonly info: string,
    /**
     * With errorCode `"1002"`: why the session ended (`'logout'`, `'expired'`, ...); with `"1011"`:
     * `'banned'`; with `"1010"` from `completeSecondFactor`: `'challenge_expired'` (log in again).
     */
    readonly reason?: string,
    /**
     * With errorCode `"1005"` (`ERROR_CODES.recentAuthRequired`): how recent, in seconds, the
     * sign-in must be. The session lives on: ask for the password, `reauthenticate`, retry.
     */
    readonly maxAge?: number,
    /**
     * With errorCode `"1011"` (the account is disabled): when the ban lifts by itself, ISO 8601;
     * absent for a ban that lasts until an administrator lifts it.
     * @example if (error.errorCode === ERROR_CODES.accountDisabled) show(`Disabled until ${new Date(error.until ?? '')}`)
     */
    readonly until?: string,
    /**
     * With errorCode `"1012"` (`ERROR_CODES.secondFactorRequired`): the login's challenge, which
     * `login()` hands back as `{ secondFactorRequired: true, challenge }` rather than throwing.
     */
    readonly challenge?: string
  ) {
    super(`${status} ${errorCode === '' ? '' : `"${errorCode}" `}${info}`)
  }
}

/**
 * A request met a token that had to be refreshed (or had changed) while it was on its way, and
 * its body cannot be sent twice (a stream, or a `Request` with a body). The tokens are fresh
 * now: build the body again and repeat the call.
 *
 * @example
 * ```ts
 * const upload = async () => await auth.fetch('/files', { method: 'POST', body: makeStream() })
 * const answer = await upload().catch(async (error) => {
 *   if (error instanceof NotReplayableError) return await upload()   // a fresh stream, fresh tokens
 *   throw error
 * })
 * ```
 */
export class NotReplayableError extends Error {
  override readonly name = 'NotReplayableError'

  constructor (
    /** The answer the request got (`auth.fetch` only; the axios interceptors give none). */
    readonly response?: Response
  ) {
    super('The request must be repeated with fresh credentials, and its body cannot be sent again')
  }
}

export function asApiErrorBody (value: unknown): ApiErrorBody | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const { errorCode, info, reason, maxAge, until, challenge } = value as Record<string, unknown>
  if (typeof errorCode !== 'string') return undefined
  return {
    errorCode,
    info: typeof info === 'string' ? info : '',
    ...(typeof reason === 'string' ? { reason } : {}),
    ...(typeof maxAge === 'number' ? { maxAge } : {}),
    ...(typeof until === 'string' ? { until } : {}),
    ...(typeof challenge === 'string' ? { challenge } : {})
  }
}

// The error body of an answer, read from a copy so the caller can still read the original.
export async function readApiErrorBody (response: Response): Promise<ApiErrorBody | undefined> {
  try {
    return asApiErrorBody(await response.clone().json())
  } catch {
    return undefined
  }
}

/**
 * The `AuthError` of an error answer, as the client's methods throw it: for an app that sends its
 * own requests with `client.fetch` (which answers every status) and wants the same error. Reads a
 * copy of the body, so the response stays readable.
 *
 * @example
 * ```ts
 * const answer = await auth.fetch('/notes')
 * if (!answer.ok) throw await authErrorFrom(answer)
 * const { notes } = await answer.json()
 * ```
 */
export async function authErrorFrom (response: Response): Promise<AuthError> {
  const body = await readApiErrorBody(response)
  return body === undefined
    ? new AuthError(response.status, '', response.statusText)
    : new AuthError(response.status, body.errorCode, body.info, body.reason, body.maxAge, body.until, body.challenge)
}
