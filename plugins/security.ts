import fastifyCors from '@fastify/cors'
import fp from 'fastify-plugin'
import { fixedResponseHeaders } from '../src/security/response-headers.js'
import { CSRF_HEADER } from '../src/security/csrf.js'
import { RENEWED_TOKEN_HEADER } from '../session-check/index.js'

export default fp(async (fastify) => {
  const { config } = fastify
  // Set before the route runs; a route that may be cached (the page's files) sets its own
  // Cache-Control over the no-store.
  const fixedHeaders = fixedResponseHeaders(config.COOKIE_SECURE)
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
