import type { AuthFetchInit } from './types.js'

const CONTENT_TYPE = 'content-type'
const JSON_CONTENT_TYPE = 'application/json'

// `json` as the body, serialised, and `content-type: application/json` unless the caller named a
// type of its own (application/merge-patch+json, say). The server reads JSON only: a string body
// without this header goes out as text/plain and is refused 415.
export function withJsonBody (init: AuthFetchInit | undefined): RequestInit | undefined {
  if (init === undefined) return undefined
  const { json, ...requestInit } = init
  if (json === undefined) return requestInit
  if (requestInit.body !== undefined && requestInit.body !== null) {
    throw new TypeError('auth.fetch takes json or body, not both')
  }
  const headers = new Headers(requestInit.headers)
  if (!headers.has(CONTENT_TYPE)) headers.set(CONTENT_TYPE, JSON_CONTENT_TYPE)
  return { ...requestInit, headers, body: JSON.stringify(json) }
}
