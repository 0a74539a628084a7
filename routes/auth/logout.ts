import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { errorResponses } from '../../src/api/error-schema.js'
import { SuccessSchema } from '../../src/api/field-schemas.js'
import { RevokedCountSchema } from '../../src/api/session-schemas.js'
import { sessionSecurity } from '../../plugins/docs.js'

const logout: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post('/logout', {
    preHandler: fastify.authenticate,
    schema: {
      summary: 'End the current session',
      tags: ['auth'],
      security: sessionSecurity,
      response: { 200: SuccessSchema, ...errorResponses(401, 403, 503) }
    }
  }, async (request, reply) => {
    await fastify.sessions.end(request.user.userId, request.user.sessionId, { reason: 'logout', ip: request.ip })
    reply.clearSessionCookies()
    return { result: 'success' as const }
  })

  fastify.post('/logout-all', {
    preHandler: fastify.authenticate,
    schema: {
      summary: 'End every session of the current user, on every device',
      tags: ['auth'],
      security: sessionSecurity,
      response: { 200: RevokedCountSchema, ...errorResponses(401, 403, 503) }
    }
  }, async (request, reply) => {
    const revoked = await fastify.sessions.endAll(request.user.userId, { reason: 'logout_all', ip: request.ip })
    reply.clearSessionCookies()
    return { result: 'success' as const, revoked }
  })

  fastify.post('/logout-others', {
    preHandler: fastify.authenticate,
    schema: {
      summary: 'End every other session of the current user, keeping this one',
      tags: ['auth'],
      security: sessionSecurity,
      response: { 200: RevokedCountSchema, ...errorResponses(401, 403, 503) }
    }
  }, async (request) => {
    const { userId, sessionId } = request.user
    const revoked = await fastify.sessions.endAll(userId, { reason: 'logout_others', except: sessionId, ip: request.ip })
    return { result: 'success' as const, revoked }
  })
}

export default logout
