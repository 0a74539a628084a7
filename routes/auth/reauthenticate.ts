import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { ReauthenticatedBody } from '../../contract/api-contract.js'
import { conformingTo } from '../../src/api/contract-conformance.js'
import { errorResponses } from '../../src/api/error-schema.js'
import { LoginPasswordSchema, OneTimeCodeSchema } from '../../src/api/field-schemas.js'
import { StringEnum } from '../../src/api/schema-types.js'
import { NotFoundError, SecondFactorCodeRequiredError, WrongPasswordError } from '../../src/errors/api-errors.js'
import { sessionSecurity } from '../../plugins/docs.js'

const ReauthenticateBodySchema = Type.Object({
  password: LoginPasswordSchema,
  // Required when the account has a second factor: a recent sign-in proves what a login proves.
  code: Type.Optional(OneTimeCodeSchema)
})
const ReauthenticatedSchema = conformingTo<ReauthenticatedBody>()(Type.Object({
  result: StringEnum(['success']),
  authAt: Type.Integer({ description: 'now, ms since epoch: the session counts as signed in this recently' })
}))

// The password given again in a live session (and a code of the second factor where the account
// has one), for the routes that need a recent sign-in (requireRecentAuth, 403 "1005"). The
// session, its token and its lifetime stay as they are.
const reauthenticate: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post('/reauthenticate', {
    preHandler: fastify.authenticate,
    schema: {
      summary: "Give the password again: the session's sign-in (authAt) becomes now",
      tags: ['auth'],
      security: sessionSecurity,
      body: ReauthenticateBodySchema,
      // 403: a wrong password or code (1010), a second factor's code not sent (1012).
      response: { 200: ReauthenticatedSchema, ...errorResponses(400, 401, 403, 404, 429, 503) }
    }
  }, async (request) => {
    const { userId, sessionId } = request.user
    const { users, passwordHasher } = fastify
    // The same budget as a wrong old password at POST /auth/password: a stolen session gets a
    // few guesses at the password per session, whichever of the two routes it tries.
    const { password, code } = request.body
    const user = await fastify.attemptLimiter.guardPasswordChange(userId, sessionId, async () => {
      const stored = await users.findById(userId)
      if (stored === undefined) throw new NotFoundError('User not found')
      if (!await passwordHasher.verify(stored.passwordHash, password)) return undefined
      if (!await fastify.totp.isEnabled(stored.id)) return stored
      // A wrong code counts as a wrong password here: the same few tries per session.
      if (code === undefined) throw new SecondFactorCodeRequiredError()
      return await fastify.totp.verify(stored.id, code) === undefined ? undefined : stored
    })
    if (user === undefined) throw new WrongPasswordError()
    const authAt = await fastify.sessions.markAuthenticated(userId, sessionId)
    return { result: 'success' as const, authAt }
  })
}

export default reauthenticate
