import type { FastifyPluginAsync } from 'fastify'
import { InvalidInputError, NotFoundError } from '../../src/errors/api-errors.js'
import { toSessionView } from '../../src/sessions/session-view.js'
import {
  accountSchema, deviceIdSchema, errorResponses, integerIdParamSchema, revokedCountSchema, sessionListSchema, sessionSecurity,
  userIdSchema
} from '../../plugins/api-schemas.js'

interface RevokeBody {
  userId?: number
  account?: string
  deviceId?: string
}

interface UserParams {
  userId: string
}

const admin: FastifyPluginAsync = async (fastify) => {
  fastify.addHook('preHandler', fastify.authenticate)
  fastify.addHook('preHandler', fastify.requireAdmin)

  fastify.get<{ Params: UserParams }>('/users/:userId/sessions', {
    schema: {
      summary: "A user's sessions",
      tags: ['admin'],
      security: sessionSecurity,
      params: { type: 'object', required: ['userId'], properties: { userId: integerIdParamSchema } },
      response: { 200: sessionListSchema, ...errorResponses(400, 401, 403, 503) }
    }
  }, async (request) => {
    const records = await fastify.sessions.list(Number(request.params.userId))
    return { sessions: records.map((record) => toSessionView(record)) }
  })

  fastify.post<{ Body: RevokeBody }>('/revoke', {
    schema: {
      summary: "End all of a user's sessions, or those of one device; the user is named by userId or account",
      tags: ['admin'],
      security: sessionSecurity,
      body: {
        type: 'object',
        properties: { userId: userIdSchema, account: accountSchema, deviceId: deviceIdSchema }
      },
      response: { 200: revokedCountSchema, ...errorResponses(400, 401, 403, 404, 503) }
    }
  }, async (request) => {
    const { userId, account, deviceId } = request.body
    if ((userId === undefined) === (account === undefined)) {
      throw new InvalidInputError('body must name the user by exactly one of userId or account')
    }
    const targetId = userId ?? (await fastify.users.findByAccount(account ?? ''))?.id
    if (targetId === undefined) throw new NotFoundError('No such account')
    const revoked = await fastify.sessions.endAll(targetId, 'admin', { deviceId })
    request.log.info({ targetUserId: targetId, deviceId, revoked, adminUserId: request.user.userId }, 'admin revoked sessions')
    return { result: 'success', revoked }
  })
}

export default admin
