import fastifySwagger from '@fastify/swagger'
import fastifySwaggerUi from '@fastify/swagger-ui'
import fp from 'fastify-plugin'
import { PLAIN_COOKIE_NAMES, PREFIXED_COOKIE_NAMES } from './cookies.js'

// How a route that needs a session is described in the OpenAPI document: by any of the
// security schemes below.
export const sessionSecurity: Array<Record<string, string[]>> = [{ tokenHeader: [] }, { bearer: [] }, { cookie: [] }]

// How a /service/ route is described: a backend's service key (SERVICE_KEYS), never a session.
export const serviceKeySecurity: Array<Record<string, string[]>> = [{ serviceKey: [] }]

// OpenAPI generated from the route schemas, browsable at /docs.
export default fp(async (fastify) => {
  await fastify.register(fastifySwagger, {
    openapi: {
      info: { title: 'Token-session auth server', version: '0.1.0' },
      components: {
        securitySchemes: {
          tokenHeader: { type: 'apiKey', in: 'header', name: fastify.config.TOKEN_HEADER },
          bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          serviceKey: {
            type: 'http',
            scheme: 'bearer',
            description: 'A service key listed in SERVICE_KEYS (npm run admin -- service-keys generate), for backends only'
          },
          cookie: {
            type: 'apiKey',
            in: 'cookie',
            name: (fastify.config.COOKIE_SECURE ? PREFIXED_COOKIE_NAMES : PLAIN_COOKIE_NAMES).accessToken
          }
        }
      }
    }
  })
  await fastify.register(fastifySwaggerUi, { routePrefix: '/docs' })
}, { name: 'docs', dependencies: ['config', 'api-schemas'] })
