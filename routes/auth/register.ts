import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { errorResponses } from '../../src/api/error-schema.js'
import { AccountSchema, OwnUserIdSchema, PasswordSchema } from '../../src/api/field-schemas.js'
import { ForbiddenError } from '../../src/errors/api-errors.js'

const RegisterBodySchema = Type.Object({ account: AccountSchema, password: PasswordSchema })

const register: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post('/register', {
    schema: {
      summary: 'Create an account (unless REGISTRATION_OPEN=false)',
      tags: ['auth'],
      body: RegisterBodySchema,
      response: { 201: Type.Object({ userId: OwnUserIdSchema }), ...errorResponses(400, 403, 409, 429, 503) }
    }
  }, async (request, reply) => {
    if (!fastify.config.REGISTRATION_OPEN) throw new ForbiddenError('Registration is closed')
    // Every attempt counts here, successful or not: registrations are cheap to script.
    await fastify.attemptLimiter.reserveRegistration(request.ip)
    const user = await fastify.users.create({
      account: request.body.account,
      passwordHash: await fastify.passwordHasher.hash(request.body.password)
    })
    return await reply.code(201).send({ userId: user.id })
  })
}

export default register
