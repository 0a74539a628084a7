import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { errorResponses } from '../../../src/api/error-schema.js'
import { SuccessSchema } from '../../../src/api/field-schemas.js'
import { SessionListSchema } from '../../../src/api/session-schemas.js'
import { NotFoundError } from '../../../src/errors/api-errors.js'
import { SESSION_ID_JSON_PATTERN } from '../../../src/tokens/session-claims.js'
import { sessionSecurity } from '../../../plugins/docs.js'

const SessionParamsSchema = Type.Object({ id: Type.String({ pattern: SESSION_ID_JSON_PATTERN }) })

const sessions: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.addHook('preHandler', fastify.authenticate)

  // /auth/sessions only, not also /auth/sessions/ (Fastify's default for a prefix's '/').
  fastify.get('/', {
    prefixTrailingSlash: 'no-slash',
    schema: {
      summary: "The current user's sessions, newest first",
      tags: ['sessions'],
      security: sessionSecurity,
      response: { 200: SessionListSchema, ...errorResponses(401, 503) }
    }
  }, async (request) => {
    return { sessions: await fastify.sessions.list(request.user.userId, { currentSessionId: request.user.sessionId }) }
  })

  fastify.delete('/:id', {
    schema: {
      summary: 'End one of the current user\'s sessions (e.g. a lost phone)',
      tags: ['sessions'],
      security: sessionSecurity,
      params: SessionParamsSchema,
      response: { 200: SuccessSchema, ...errorResponses(400, 401, 403, 404, 503) }
    }
  }, async (request, reply) => {
    const { userId, sessionId } = request.user
    // Looked up under the caller's own user id: another user's session id is simply not found.
    const ended = await fastify.sessions.end(userId, request.params.id, { reason: 'revoked', ip: request.ip })
    if (!ended) throw new NotFoundError('No such session')
    if (request.params.id === sessionId) reply.clearSessionCookies()
    return { result: 'success' as const }
  })
}

export default sessions
