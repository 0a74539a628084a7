import helmet, { type HelmetOptions } from 'helmet'
import type { IncomingMessage, ServerResponse } from 'node:http'

// helmet's headers depend on its options only, never on the request: computed once at start,
// they cost one object spread per answer instead of helmet's per-request work (it re-parses the
// CSP directives each time), a tenth of a bare route's time.
function helmetHeaders (options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {}
  const recorder = {
    setHeader: (name: string, value: string | number | readonly string[]) => { headers[name.toLowerCase()] = String(value) },
    removeHeader: (name: string) => { Reflect.deleteProperty(headers, name.toLowerCase()) }
  }
  let failure: unknown
  // helmet is Express middleware; the recorder is all of a response it touches.
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => { failure = error })
  if (failure !== undefined) throw failure
  return headers
}

// Every answer's fixed headers: helmet's, and no-store because answers carry tokens and personal
// data that no cache along the way may keep. The benchmark's bare route sends the same ones.
export function fixedResponseHeaders (secure: boolean): Record<string, string> {
  const securityHeaders = helmetHeaders({
    // The API docs page loads its own scripts and styles from /docs.
    contentSecurityPolicy: {
      directives: {
        'script-src': ["'self'"],
        'style-src': ["'self'", 'https:', "'unsafe-inline'"],
        'img-src': ["'self'", 'data:'],
        // On a plain-HTTP development server this would send the page's own assets to https.
        'upgrade-insecure-requests': secure ? [] : null
      }
    }
  })
  return { ...securityHeaders, 'cache-control': 'no-store' }
}
