import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { errorResponses } from '../../src/api/error-schema.js'
import { LoginPasswordSchema, PasswordSchema } from '../../src/api/field-schemas.js'
import { IssuedSessionSchema } from '../../src/api/session-schemas.js'
import { GenerationMovedError } from '../../session-check/index.js'
import { NotFoundError, sessionEnded, WrongPasswordError } from '../../src/errors/api-errors.js'
import { replacePassword } from '../../src/users/replace-password.js'
import { sessionSecurity } from '../../plugins/docs.js'

const PasswordBodySchema = Type.Object({ oldPassword: LoginPasswordSchema, newPassword: PasswordSchema })

const password: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post('/password', {
    preHandler: fastify.authenticate,
    schema: {
      summary: 'Change the password; ends every session and starts a fresh one for this device',
      tags: ['auth'],
      security: sessionSecurity,
      body: PasswordBodySchema,
      response: { 200: IssuedSessionSchema, ...errorResponses(400, 401, 403, 404, 429, 503) }
    }
  }, async (request, reply) => {
    const { userId, sessionId } = request.user
    const { sessions, users, passwordHasher } = fastify
    // A stolen session must not become a way to guess the password: each session has a few
    // tries. The account's login budget is left alone, so guesses at the account elsewhere
    // cannot block its owner here, nor typos here lock the account.
    const user = await fastify.attemptLimiter.guardPasswordChange(userId, sessionId, async () => {
      const stored = await users.findById(userId)
      if (stored === undefined) throw new NotFoundError('User not found')
      return await passwordHasher.verify(stored.passwordHash, request.body.oldPassword) ? stored : undefined
    })
    if (user === undefined) throw new WrongPasswordError()

    // The fresh session is the same device's: its id, type and "remember me" carry over.
    const current = await fastify.sessionCheck.store.find(userId, sessionId)
    const device = current?.deviceId
    const passwordHash = await passwordHasher.hash(request.body.newPassword)
    await replacePassword({ sessions, users }, userId, passwordHash, { reason: 'password_changed', ip: request.ip }, () => {
      fastify.authEvents.passwordChanged({ userId, sessionId, deviceId: device, ip: request.ip })
    })

    try {
      return await sessions.start(
        {
          userId,
          userType: user.userType,
          account: user.account,
          deviceId: device,
          deviceType: current?.deviceType,
          rememberMe: current?.notRemembered !== true,
          authMethod: 'password',
          // The new session is proven as the one it replaces was: a second factor stays counted.
          amr: [...request.user.amr]
        },
        { request, reply, generation: await sessions.generation(userId) })
    } catch (error) {
      // Only a second password change (or logout-all) landing in these milliseconds gets here.
      if (error instanceof GenerationMovedError) throw sessionEnded('password_changed')
      throw error
    }
  })
}

export default password
