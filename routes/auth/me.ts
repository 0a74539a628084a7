import type { FastifyPluginAsync } from 'fastify'
import { accountSchema, errorResponses, sessionSecurity, userIdSchema, userTypeSchema } from '../../plugins/api-schemas.js'

const me: FastifyPluginAsync = async (fastify) => {
  // Answered from the session alone, so it keeps working while PostgreSQL is down.
  fastify.get('/me', {
    preHandler: fastify.authenticate,
    schema: {
      summary: 'The signed-in user',
      tags: ['auth'],
      security: sessionSecurity,
      response: {
        200: {
          type: 'object',
          required: ['userId', 'userType', 'account', 'sessionId'],
          properties: { userId: userIdSchema, userType: userTypeSchema, account: accountSchema, sessionId: { type: 'string' } }
        },
        ...errorResponses(401, 503)
      }
    }
  }, async (request) => request.user)
}

export default me
