import fastifyCors from '@fastify/cors'
import fastifyHelmet from '@fastify/helmet'
import fp from 'fastify-plugin'
import { CSRF_HEADER } from '../src/security/csrf.js'
import { RENEWED_TOKEN_HEADER } from './cookies.js'

export default fp(async (fastify) => {
  const { config } = fastify
  await fastify.register(fastifyHelmet, {
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

  // Answers carry tokens and personal data: no cache along the way may keep them.
  fastify.addHook('onSend', async (_request, reply) => {
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store')
  })
}, { name: 'security', dependencies: ['config'] })
