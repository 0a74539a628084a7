import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { errorResponses } from '../../src/api/error-schema.js'
import { AccountSchema, PasswordSchema, SuccessSchema } from '../../src/api/field-schemas.js'
import { resetLink } from '../../src/delivery/recovery-message.js'
import { InvalidResetTokenError } from '../../src/errors/api-errors.js'
import { normalizeAccount } from '../../src/users/account.js'
import { replacePassword } from '../../src/users/replace-password.js'

// Loose on purpose: any string a link could carry is checked against Redis, so that every wrong
// one answers 1014 and counts against the client's budget, rather than some answering 1400 free.
const ResetTokenSchema = Type.String({ minLength: 1, maxLength: 256 })
const ForgotBodySchema = Type.Object({ account: AccountSchema })
const ResetBodySchema = Type.Object({ token: ResetTokenSchema, newPassword: PasswordSchema })

// Account recovery (docs/recovery.md): a reset link asked for by account, then used once.
const passwordReset: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post('/password/forgot', {
    schema: {
      summary: 'Ask for a password-reset link; answers 202 whether or not the account exists',
      tags: ['auth'],
      body: ForgotBodySchema,
      response: { 202: SuccessSchema, ...errorResponses(400, 429, 503) }
    }
  }, async (request, reply) => {
    const { attemptLimiter, users, resetTokens, recoveryDelivery, config } = fastify
    const account = normalizeAccount(request.body.account)
    await attemptLimiter.reserveResetRequest(account, request.ip)
    // The same database read and the same Redis round trips for an account that does not exist,
    // and the message goes out after the answer: neither the answer nor its time tells.
    const user = await users.findByAccount(account)
    if (user === undefined) {
      await resetTokens.rehearseIssue()
    } else {
      const { token, expiresAt } = await resetTokens.issue(user.id, fastify.sessionCheck.clock())
      recoveryDelivery.send({
        type: 'password_reset',
        userId: user.id,
        account: user.account,
        token,
        link: resetLink(config.publicUrl, token),
        expiresAt: new Date(expiresAt).toISOString()
      })
    }
    fastify.authEvents.passwordResetRequested({ account, userId: user?.id, ip: request.ip })
    return await reply.code(202).send({ result: 'success' })
  })

  fastify.post('/password/reset', {
    schema: {
      summary: 'Set a new password with a reset link\'s token; ends every session of the user',
      tags: ['auth'],
      body: ResetBodySchema,
      response: { 200: SuccessSchema, ...errorResponses(400, 429, 503) }
    }
  }, async (request) => {
    const { attemptLimiter, users, sessions, passwordHasher, resetTokens } = fastify
    const { token, newPassword } = request.body
    const user = await attemptLimiter.guardResetToken(request.ip, async () => {
      const userId = await resetTokens.find(token)
      return userId === undefined ? undefined : await users.findById(userId)
    })
    if (user === undefined) {
      fastify.authEvents.passwordReset(false, { ip: request.ip })
      throw new InvalidResetTokenError()
    }
    // Hashed before the token is used up: a 503 of busy hashing leaves the link working. Then
    // consumed (GETDEL): of two requests with one token exactly one gets past this line. An
    // outage after it leaves the old password and a used link: the user asks for another.
    const passwordHash = await passwordHasher.hash(newPassword)
    if (await resetTokens.consume(token) !== user.id) throw new InvalidResetTokenError()
    await replacePassword({ sessions, users }, user.id, passwordHash, { reason: 'password_reset', ip: request.ip }, () => {
      fastify.authEvents.passwordReset(true, { userId: user.id, ip: request.ip })
    })
    // The owner proved the account theirs: failed logins no longer hold them out.
    await attemptLimiter.clearLoginFailures(user.account, request.ip)
    return { result: 'success' as const }
  })
}

export default passwordReset
