import type { FastifyPluginAsync } from 'fastify'
import { NotFoundError } from '../../../src/errors/api-errors.js'
import { toSessionView } from '../../../src/sessions/session-view.js'
import { SESSION_ID_JSON_PATTERN } from '../../../src/tokens/session-claims.js'
import { errorResponses, sessionListSchema, sessionSecurity, successSchema } from '../../../plugins/api-schemas.js'

interface SessionParams {
  id: string
}

const sessions: FastifyPluginAsync = async (fastify) => {
  fastify.addHook('preHandler', fastify.authenticate)

  fastify.get('/', {
    schema: {
      summary: "The current user's sessions, newest first",
      tags: ['sessions'],
      security: sessionSecurity,
      response: { 200: sessionListSchema, ...errorResponses(401, 503) }
    }
  }, async (request) => {
    const records = await fastify.sessions.list(request.user.userId)
    return { sessions: records.map((record) => toSessionView(record, request.user.sessionId)) }
  })

  fastify.delete<{ Params: SessionParams }>('/:id', {
    schema: {
      summary: 'End one of the current user\'s sessions (e.g. a lost phone)',
      tags: ['sessions'],
      security: sessionSecurity,
      params: {
        type: 'object',
        required: ['id'],
        properties: { id: { type: 'string', pattern: SESSION_ID_JSON_PATTERN } }
      },
      response: { 200: successSchema, ...errorResponses(400, 401, 403, 404, 503) }
    }
  }, async (request, reply) => {
    const { userId, sessionId } = request.user
    // Looked up under the caller's own user id: another user's session id is simply not found.
    const ended = await fastify.sessions.end(userId, request.params.id, 'revoked')
    if (!ended) throw new NotFoundError('No such session')
    if (request.params.id === sessionId) reply.clearSessionCookies()
    return { result: 'success' }
  })
}

export default sessions
