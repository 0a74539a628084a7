import type { FastifyPluginAsync } from 'fastify'
import { ForbiddenError } from '../../src/errors/api-errors.js'
import { accountSchema, errorResponses, passwordSchema, userIdSchema } from '../../plugins/api-schemas.js'

interface RegisterBody {
  account: string
  password: string
}

const register: FastifyPluginAsync = async (fastify) => {
  fastify.post<{ Body: RegisterBody }>('/register', {
    schema: {
      summary: 'Create an account (unless REGISTRATION_OPEN=false)',
      tags: ['auth'],
      body: {
        type: 'object',
        required: ['account', 'password'],
        properties: { account: accountSchema, password: passwordSchema }
      },
      response: {
        201: { type: 'object', required: ['userId'], properties: { userId: userIdSchema } },
        ...errorResponses(400, 403, 409, 429, 503)
      }
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
