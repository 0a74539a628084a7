import type { FastifyPluginAsync } from 'fastify'
import { errorResponses, revokedCountSchema, sessionSecurity, successSchema } from '../../plugins/api-schemas.js'

const logout: FastifyPluginAsync = async (fastify) => {
  fastify.post('/logout', {
    preHandler: fastify.authenticate,
    schema: {
      summary: 'End the current session',
      tags: ['auth'],
      security: sessionSecurity,
      response: { 200: successSchema, ...errorResponses(401, 403, 503) }
    }
  }, async (request, reply) => {
    await fastify.sessions.end(request.user.userId, request.user.sessionId, 'logout')
    reply.clearSessionCookies()
    return { result: 'success' }
  })

  fastify.post('/logout-all', {
    preHandler: fastify.authenticate,
    schema: {
      summary: 'End every session of the current user, on every device',
      tags: ['auth'],
      security: sessionSecurity,
      response: { 200: revokedCountSchema, ...errorResponses(401, 403, 503) }
    }
  }, async (request, reply) => {
    const revoked = await fastify.sessions.endAll(request.user.userId, 'logout_all')
    reply.clearSessionCookies()
    return { result: 'success', revoked }
  })
}

export default logout
