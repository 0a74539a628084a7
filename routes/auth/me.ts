import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { MeBody } from '../../contract/api-contract.js'
import { conformingTo } from '../../src/api/contract-conformance.js'
import { errorResponses } from '../../src/api/error-schema.js'
import { AccountSchema, AmrSchema, DeviceTypeSchema, UserIdSchema, UserTypeSchema } from '../../src/api/field-schemas.js'
import { sessionSecurity } from '../../plugins/docs.js'

const MeSchema = conformingTo<MeBody>()(Type.Object({
  userId: UserIdSchema,
  userType: UserTypeSchema,
  deviceType: Type.Union([DeviceTypeSchema, Type.Null()]),
  account: Type.Optional(AccountSchema),
  sessionId: Type.String(),
  authAt: Type.Integer({ description: 'when the user last proved who they are in this session (login or re-authentication), ms since epoch' }),
  amr: AmrSchema
}))

const me: FastifyPluginAsyncTypebox = async (fastify) => {
  // Answered from the session alone, so it keeps working while PostgreSQL is down.
  fastify.get('/me', {
    preHandler: fastify.authenticate,
    schema: {
      summary: 'The signed-in user',
      tags: ['auth'],
      security: sessionSecurity,
      response: { 200: MeSchema, ...errorResponses(401, 503) }
    }
  }, async (request) => ({ ...request.user, amr: [...request.user.amr] }))
}

export default me
