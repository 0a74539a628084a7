import type { AuthCore } from './auth-core.js'
import { NotReplayableError, readApiErrorBody } from './errors.js'
import { withJsonBody } from './json-body.js'
import { isStreamBody } from './stream-body.js'
import type { AuthFetchInit } from './types.js'

export const RENEWED_TOKEN_HEADER = 'x-renewed-token'

// One API request, ready to be sent with whatever credentials are current at that moment.
interface PreparedCall {
  method: string
  // Whether the body can be sent a second time.
  replayable: boolean
  send: (authHeaders: Record<string, string>) => Promise<Response>
}

function withHeaders (source: RequestInit['headers'] | Headers, added: Record<string, string>): Headers {
  const headers = new Headers(source)
  for (const [name, value] of Object.entries(added)) headers.set(name, value)
  return headers
}

// Undefined for a request that is not to the API: it is sent as it is, without credentials.
function prepare (core: AuthCore, input: string | URL | Request, init?: RequestInit): PreparedCall | undefined {
  const { api, keeper } = core
  const credentials: RequestInit = keeper.cookieMode ? { credentials: 'include' } : {}
  if (typeof input === 'object' && 'method' in input) {
    const request = init === undefined ? input : new Request(input, init)
    if (!api.owns(request.url)) return undefined
    return {
      method: request.method,
      // Sending a Request uses up its body.
      replayable: request.body === null,
      send: async (authHeaders) =>
        await api.fetch(new Request(request, { ...credentials, headers: withHeaders(request.headers, authHeaders) }))
    }
  }
  const url = api.resolve(input.toString())
  if (!api.owns(url)) return undefined
  const options = init ?? {}
  return {
    method: (options.method ?? 'GET').toUpperCase(),
    replayable: !isStreamBody(options.body),
    send: async (authHeaders) =>
      await api.fetch(url, { ...options, ...credentials, headers: withHeaders(options.headers, authHeaders) })
  }
}

// A response the caller will not see: its body is let go, so the connection is free again.
async function discard (response: Response): Promise<void> {
  try {
    await response.body?.cancel()
  } catch {
    // Already read or broken: nothing is held.
  }
}

async function attempt (core: AuthCore, call: PreparedCall, mayRetry: boolean): Promise<Response> {
  const { keeper } = core
  const sent = keeper.credentials()
  const response = await call.send(keeper.authHeaders(call.method, sent))
  keeper.acceptRenewedToken(sent, response.headers.get(RENEWED_TOKEN_HEADER))
  if (response.status !== 401) return response
  const outcome = await core.answerUnauthorized(sent, await readApiErrorBody(response), mayRetry)
  switch (outcome.kind) {
    case 'final':
      return response
    case 'failed':
      await discard(response)
      return outcome.answer.toResponse()
    case 'retry':
      if (!call.replayable) throw new NotReplayableError(response)
      await discard(response)
      return await attempt(core, call, false)
  }
}

// fetch() with the session's credentials, the refresh and the retry; any status is answered.
export async function authenticatedFetch (core: AuthCore, input: string | URL | Request, init?: AuthFetchInit): Promise<Response> {
  const requestInit = withJsonBody(init)
  const call = prepare(core, input, requestInit)
  if (call === undefined) return await core.api.fetch(input, requestInit)
  return await attempt(core, call, true)
}
