import axios, { isAxiosError, type AxiosInstance } from 'axios'
import { attachAuth } from '../../src/axios.js'
import { AuthError, createAuthClient, type AuthClient, type AuthClientOptions } from '../../src/index.js'

// An answer as the tests look at it, whichever transport carried the request.
export interface Answer {
  status: number
  body: unknown
}

export interface SentRequest {
  method: string
  path: string
  token?: string
}

export interface Connected {
  client: AuthClient
  // An authenticated request through this transport; errors other than answers are thrown.
  request: (method: string, path: string, body?: unknown) => Promise<Answer>
  // Every request this transport sent, with the token header it carried (the SDK's own
  // refresh calls included when they go through the same fetch).
  sent: SentRequest[]
}

export interface Transport {
  name: 'fetch' | 'axios'
  connect: (options: AuthClientOptions) => Connected
}

const TOKEN_HEADER = 'token'

function pathOf (url: string): string {
  return new URL(url, 'http://relative.invalid').pathname
}

// client.fetch, with Node's global fetch underneath; a fetch wrapper records what is sent.
export const fetchTransport: Transport = {
  name: 'fetch',
  connect (options) {
    const sent: SentRequest[] = []
    const underlying = options.fetch ?? globalThis.fetch
    const recordingFetch: typeof fetch = async (input, init) => {
      const request = input instanceof Request ? input : undefined
      const url = request?.url ?? (input instanceof URL ? input.href : String(input))
      const token = new Headers(init?.headers ?? request?.headers).get(TOKEN_HEADER) ?? undefined
      sent.push({ method: init?.method ?? request?.method ?? 'GET', path: pathOf(url), ...(token === undefined ? {} : { token }) })
      return await underlying(input, init)
    }
    const client = createAuthClient({ ...options, fetch: recordingFetch })
    return {
      client,
      sent,
      request: async (method, path, body) => {
        const response = await client.fetch(path, body === undefined
          ? { method }
          : { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
        const text = await response.text()
        return { status: response.status, body: text === '' ? undefined : JSON.parse(text) }
      }
    }
  }
}

// An axios instance with attachAuth; an interceptor installed before it (so it runs after it)
// records what is sent.
export const axiosTransport: Transport = {
  name: 'axios',
  connect (options) {
    const sent: SentRequest[] = []
    const client = createAuthClient(options)
    const instance: AxiosInstance = axios.create({ baseURL: options.baseUrl })
    instance.interceptors.request.use((config) => {
      const token = config.headers.get(TOKEN_HEADER)
      sent.push({
        method: (config.method ?? 'get').toUpperCase(),
        path: pathOf(config.url ?? ''),
        ...(typeof token === 'string' ? { token } : {})
      })
      return config
    })
    attachAuth(instance, client)
    return {
      client,
      sent,
      request: async (method, path, body) => {
        try {
          const response = await instance.request({ method, url: path, data: body })
          return { status: response.status, body: response.data }
        } catch (error) {
          if (isAxiosError(error) && error.response !== undefined) return { status: error.response.status, body: error.response.data }
          // A refresh that failed (503, 429) is reported as an AuthError.
          if (error instanceof AuthError) return { status: error.status, body: { errorCode: error.errorCode, reason: error.reason } }
          throw error
        }
      }
    }
  }
}

export const TRANSPORTS: readonly Transport[] = [fetchTransport, axiosTransport]

export function errorCodeOf (answer: Answer): unknown {
  return typeof answer.body === 'object' && answer.body !== null ? Reflect.get(answer.body, 'errorCode') : undefined
}

// A POST whose body is a stream (fetch: a ReadableStream; axios: a Node Readable), which cannot
// be sent twice.
export async function postStream (transport: Transport, connected: Connected, baseUrl: string, path: string, json: string): Promise<Answer> {
  if (transport.name === 'fetch') {
    const body = new ReadableStream<Uint8Array>({
      start (controller) {
        controller.enqueue(new TextEncoder().encode(json))
        controller.close()
      }
    })
    // Node's fetch sends a stream body only with duplex 'half' (not in the DOM's RequestInit).
    const init: RequestInit & { duplex: 'half' } = { method: 'POST', headers: { 'content-type': 'application/json' }, body, duplex: 'half' }
    const response = await connected.client.fetch(path, init)
    return { status: response.status, body: await response.json() }
  }
  const { Readable } = await import('node:stream')
  const instance = axios.create({ baseURL: baseUrl })
  attachAuth(instance, connected.client)
  try {
    const response = await instance.post(path, Readable.from([json]), { headers: { 'content-type': 'application/json' } })
    return { status: response.status, body: response.data }
  } catch (error) {
    if (isAxiosError(error) && error.response !== undefined) return { status: error.response.status, body: error.response.data }
    throw error
  }
}
