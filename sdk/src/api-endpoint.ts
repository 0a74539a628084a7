import { pageOrigin } from './environment.js'

function originOf (url: string): string | undefined {
  try {
    return new URL(url).origin
  } catch {
    return undefined
  }
}

function isPath (url: string): boolean {
  return url.startsWith('/') && !url.startsWith('//')
}

// Where the API is, and how requests reach it.
export class ApiEndpoint {
  private readonly base: string

  constructor (baseUrl: string, private readonly customFetch?: typeof fetch) {
    this.base = baseUrl.replace(/\/+$/, '')
  }

  // A path of the API ('/auth/me') as a URL to send; anything else as it is.
  resolve (url: string): string {
    return isPath(url) ? `${this.base}${url}` : url
  }

  // Credentials go to the API only, never to another site a request may be sent to.
  owns (url: string): boolean {
    if (isPath(url)) return true
    const origin = originOf(url)
    const apiOrigin = originOf(this.base) ?? pageOrigin()
    return origin !== undefined && origin === apiOrigin
  }

  // For URLs sent as they are (axios): a relative one goes to the page's origin, which may not
  // be the API's; one that cannot be resolved is not the API's.
  ownsAsSent (url: string): boolean {
    try {
      return this.owns(new URL(url, pageOrigin()).href)
    } catch {
      return false
    }
  }

  // globalThis.fetch is looked up at each call, so a fetch installed later (a test, a polyfill)
  // is the one used; it is called unbound, as browsers require.
  async fetch (input: string | URL | Request, init?: RequestInit): Promise<Response> {
    const send = this.customFetch ?? globalThis.fetch
    return await send(input, init)
  }

  async send (path: string, init: RequestInit): Promise<Response> {
    return await this.fetch(this.resolve(path), init)
  }
}
