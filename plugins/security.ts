import fastifyCors from '@fastify/cors'
import fp from 'fastify-plugin'
import helmet, { type HelmetOptions } from 'helmet'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { CSRF_HEADER } from '../src/security/csrf.js'
import { RENEWED_TOKEN_HEADER } from '../session-check/index.js'

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

export default fp(async (fastify) => {
  const { config } = fastify
  const securityHeaders = helmetHeaders({
    // The API docs page loads its own scripts and styles from /docs.
    contentSecurityPolicy: {
      directives: {
        'script-src': ["'self'"],
        'style-src': ["'self'", 'https:', "'unsafe-inline'"],
        'img-src': ["'self'", 'data:'],
        // On a plain-HTTP development server this would send the page's own assets to https.
        'upgrade-insecure-requests': config.COOKIE_SECURE ? [] : null
      }
    }
  })
  // Answers carry tokens and personal data: no cache along the way may keep them. Set with the
  // other fixed headers before the route runs; a route that may be cached (the page's files)
  // sets its own Cache-Control over it.
  const fixedHeaders = { ...securityHeaders, 'cache-control': 'no-store' }
  fastify.addHook('onRequest', (_request, reply, done) => {
    reply.headers(fixedHeaders)
    done()
  })

  // Cross-origin browsers are refused unless CORS_ORIGINS names them.
  if (config.corsOrigins.length > 0) {
    await fastify.register(fastifyCors, {
      origin: config.corsOrigins,
      credentials: true,
      allowedHeaders: ['content-type', 'authorization', config.TOKEN_HEADER, CSRF_HEADER],
      // Scripts on another origin can only read the reissued token if it is exposed.
      exposedHeaders: [RENEWED_TOKEN_HEADER]
    })
  }
}, { name: 'security', dependencies: ['config'] })
