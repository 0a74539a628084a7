// The server's one error shape: {code: 0, errorCode, info, reason?}.
export interface ApiErrorBody {
  errorCode: string
  info: string
  reason?: string
}

// An error answer of the API. `errorCode` is the server's code ("1002", "1503", ...), or ''
// when the body was not the API's error shape (a proxy's error page, say).
export class AuthError extends Error {
  override readonly name = 'AuthError'

  constructor (
    readonly status: number,
    readonly errorCode: string,
    readonly info: string,
    readonly reason?: string
  ) {
    super(`${status} ${errorCode === '' ? '' : `"${errorCode}" `}${info}`)
  }
}

// A request met a token that had to be refreshed (or had changed) while it was on its way,
// and its body cannot be sent twice (a stream, or a Request with a body). The tokens are
// fresh now: build the body again and repeat the call. `response` is the answer it got.
export class NotReplayableError extends Error {
  override readonly name = 'NotReplayableError'

  constructor (readonly response?: Response) {
    super('The request must be repeated with fresh credentials, and its body cannot be sent again')
  }
}

export function asApiErrorBody (value: unknown): ApiErrorBody | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const { errorCode, info, reason } = value as Record<string, unknown>
  if (typeof errorCode !== 'string') return undefined
  return {
    errorCode,
    info: typeof info === 'string' ? info : '',
    ...(typeof reason === 'string' ? { reason } : {})
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

// The AuthError of an error answer, as the client's methods throw it: for an app that sends its
// own requests with client.fetch (which answers every status) and wants the same error.
export async function authErrorFrom (response: Response): Promise<AuthError> {
  const body = await readApiErrorBody(response)
  return body === undefined
    ? new AuthError(response.status, '', response.statusText)
    : new AuthError(response.status, body.errorCode, body.info, body.reason)
}
