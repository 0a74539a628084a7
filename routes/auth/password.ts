import type { FastifyPluginAsync } from 'fastify'
import { NotFoundError, WrongPasswordError } from '../../src/errors/api-errors.js'
import { hashPassword, verifyPassword } from '../../src/passwords/password-hasher.js'
import { errorResponses, issuedSessionSchema, passwordSchema, sessionSecurity } from '../../plugins/api-schemas.js'

interface PasswordBody {
  oldPassword: string
  newPassword: string
}

const password: FastifyPluginAsync = async (fastify) => {
  fastify.post<{ Body: PasswordBody }>('/password', {
    preHandler: fastify.authenticate,
    schema: {
      summary: 'Change the password; ends every session and starts a fresh one for this device',
      tags: ['auth'],
      security: sessionSecurity,
      body: {
        type: 'object',
        required: ['oldPassword', 'newPassword'],
        properties: { oldPassword: { type: 'string', minLength: 1, maxLength: 256 }, newPassword: passwordSchema }
      },
      response: { 200: issuedSessionSchema, ...errorResponses(400, 401, 403, 404, 429, 503) }
    }
  }, async (request, reply) => {
    const { userId, sessionId, account } = request.user
    const limiter = fastify.attemptLimiter
    // A stolen session must not become a way to guess the password: same budget as login.
    await limiter.reserveLogin(account, request.ip)
    const user = await fastify.users.findById(userId)
    if (user === undefined) throw new NotFoundError('User not found')
    if (!await verifyPassword(user.passwordHash, request.body.oldPassword)) throw new WrongPasswordError()
    await limiter.releaseLogin(account, request.ip)

    const current = (await fastify.sessions.list(userId)).find((session) => session.sessionId === sessionId)
    // Sessions end before the new password is stored: if the store fails half way, the
    // user is logged out with the old password intact, never left with old sessions alive.
    await fastify.sessions.endAll(userId, 'password_changed')
    await fastify.users.updatePasswordHash(userId, await hashPassword(request.body.newPassword))
    return await fastify.issueSession(request, reply, user, current?.deviceId)
  })
}

export default password
