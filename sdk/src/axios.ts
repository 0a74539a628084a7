import type { AxiosError, AxiosInstance, InternalAxiosRequestConfig } from 'axios'
import { coreOf } from './auth-core.js'
import { RENEWED_TOKEN_HEADER } from './authenticated-fetch.js'
import { asApiErrorBody, NotReplayableError, type ApiErrorBody } from './errors.js'
import type { SentCredentials } from './session-keeper.js'
import { isStreamBody } from './stream-body.js'
import type { AuthClient } from './types.js'

// Types only: this entry point never loads axios, the app passes its own instance.

/**
 * What the interceptors remember about a request between sending it and its answer; kept on the
 * config (`config.tokenSessionAuth`), which axios hands back with the answer and copies into a
 * retry. Set by `attachAuth`; not meant to be set by the app.
 */
export interface AxiosAuthState {
  /** The credentials the request went out with. */
  sent?: SentCredentials
  /** Whether this is the one retry after a refresh. */
  retried?: boolean
}

declare module 'axios' {
  interface AxiosRequestConfig {
    /** @token-session-auth/client's state of this request (see `attachAuth`). */
    tokenSessionAuth?: AxiosAuthState
  }
}

function isAxiosError (error: unknown): error is AxiosError {
  return typeof error === 'object' && error !== null && Reflect.get(error, 'isAxiosError') === true
}

function headerValue (headers: unknown, name: string): string | null {
  if (typeof headers !== 'object' || headers === null) return null
  const value: unknown = Reflect.get(headers, name)
  return typeof value === 'string' ? value : null
}

// The bytes of a binary body as a Uint8Array (no copy): what TextDecoder takes under both the
// DOM's and Node's declarations, which differ on the other ArrayBufferView types.
function bytesOf (data: ArrayBuffer | ArrayBufferView): Uint8Array {
  return data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
}

// axios parses JSON answers; with responseType 'text' the body is still a string, with
// 'arraybuffer' (or Node's 'stream'-less binary types) its bytes.
function errorBodyOf (data: unknown): ApiErrorBody | undefined {
  let text: string
  if (typeof data === 'string') text = data
  else if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) text = new TextDecoder().decode(bytesOf(data))
  else return asApiErrorBody(data)
  try {
    return asApiErrorBody(JSON.parse(text))
  } catch {
    return undefined
  }
}

/**
 * Installs request and response interceptors on `instance` that authenticate requests to the
 * client's API the way `client.fetch` does: credentials read at send time, `x-renewed-token`
 * kept, one refresh (shared with the client's own calls) and one retry on `"1003"`, the session
 * ended on 1001/1002/1004, and 5xx, 429 and network errors handed to the caller untouched.
 * Requests to other origins get no credentials. A request whose body is a stream throws
 * `NotReplayableError` instead of a retry. Error answers stay axios' own `AxiosError`s, except
 * a failed refresh's, which is thrown as an `AuthError`.
 *
 * @returns A function that removes the interceptors.
 *
 * @example
 * ```ts
 * import axios from 'axios'
 * import { attachAuth } from '@token-session-auth/client/axios'
 *
 * const api = axios.create({ baseURL: 'https://auth.example.com' })
 * const detach = attachAuth(api, auth)
 * const { data } = await api.post('/notes', { text })
 * detach()
 * ```
 */
export function attachAuth (instance: AxiosInstance, client: AuthClient): () => void {
  const core = coreOf(client)
  const { keeper } = core

  const request = instance.interceptors.request.use((config: InternalAxiosRequestConfig) => {
    const state: AxiosAuthState = { ...config.tokenSessionAuth }
    delete state.sent
    config.tokenSessionAuth = state
    if (!core.api.ownsAsSent(instance.getUri(config))) return config
    const sent = keeper.credentials()
    for (const name of keeper.authHeaderNames) config.headers.delete(name)
    for (const [name, value] of Object.entries(keeper.authHeaders(config.method ?? 'get', sent))) {
      config.headers.set(name, value)
    }
    if (keeper.cookieMode) config.withCredentials = true
    state.sent = sent
    return config
  })

  const response = instance.interceptors.response.use((answer) => {
    const sent = answer.config.tokenSessionAuth?.sent
    if (sent !== undefined) keeper.acceptRenewedToken(sent, headerValue(answer.headers, RENEWED_TOKEN_HEADER))
    return answer
  }, async (error: unknown) => {
    // Network errors and timeouts have no answer: they reach the caller as they are.
    if (!isAxiosError(error) || error.config === undefined || error.response === undefined) throw error
    const { config, response: answer } = error
    const state = config.tokenSessionAuth
    if (state?.sent === undefined) throw error
    keeper.acceptRenewedToken(state.sent, headerValue(answer.headers, RENEWED_TOKEN_HEADER))
    if (answer.status !== 401) throw error
    const outcome = await core.answerUnauthorized(state.sent, errorBodyOf(answer.data), state.retried !== true)
    switch (outcome.kind) {
      case 'final':
        throw error
      case 'failed':
        throw await outcome.answer.toAuthError()
      case 'retry':
        if (isStreamBody(config.data)) throw new NotReplayableError()
        return await instance.request({ ...config, tokenSessionAuth: { retried: true } })
    }
  })

  return () => {
    instance.interceptors.request.eject(request)
    instance.interceptors.response.eject(response)
  }
}
