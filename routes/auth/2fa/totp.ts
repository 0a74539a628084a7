import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { TotpConfirmedBody, TotpSetupBody, TotpStatusBody } from '../../../contract/api-contract.js'
import { conformingTo } from '../../../src/api/contract-conformance.js'
import { errorResponses } from '../../../src/api/error-schema.js'
import { OneTimeCodeSchema } from '../../../src/api/field-schemas.js'
import { RevokedCountSchema } from '../../../src/api/session-schemas.js'
import { StringEnum } from '../../../src/api/schema-types.js'
import { NotFoundError, WrongCodeForChangeError } from '../../../src/errors/api-errors.js'
import type { User } from '../../../src/users/user-repository.js'
import type { UserId } from '../../../src/users/user-id.js'
import { sessionSecurity } from '../../../plugins/docs.js'

// Setting up the second factor hands out its secret: it needs a sign-in this recent (login or
// POST /auth/reauthenticate), so a session left open on a shared computer cannot add a factor
// of its own and lock the owner out.
const SETUP_REAUTH_MAX_AGE_SECONDS = 15 * 60

const CodeBodySchema = Type.Object({ code: OneTimeCodeSchema })
const TotpSetupSchema = conformingTo<TotpSetupBody>()(Type.Object({
  secret: Type.String({ description: 'base32, for typing into an authenticator app by hand' }),
  otpauthUri: Type.String({ description: 'otpauth://totp/... for a QR code: SHA-1, 6 digits, 30 s' })
}))
const TotpStatusSchema = conformingTo<TotpStatusBody>()(Type.Object({
  enabled: Type.Boolean({ description: 'the account needs a code (or a backup code) after the password' })
}))
const TotpConfirmedSchema = conformingTo<TotpConfirmedBody>()(Type.Object({
  result: StringEnum(['success']),
  backupCodes: Type.Array(Type.String(), { description: 'ten single-use codes, shown this once' })
}))

// The TOTP second factor of the signed-in user (this server's own users only).
const totp: FastifyPluginAsyncTypebox = async (fastify) => {
  async function ownUser (userId: UserId): Promise<User> {
    const user = await fastify.users.findById(userId)
    if (user === undefined) throw new NotFoundError('User not found')
    return user
  }

  // So a page or app shows "set up" or "turn off", not both.
  fastify.get('/totp', {
    preHandler: fastify.authenticate,
    schema: {
      summary: "Whether the signed-in user's account has the second factor on",
      tags: ['2fa'],
      security: sessionSecurity,
      response: { 200: TotpStatusSchema, ...errorResponses(401, 404, 503) }
    }
  }, async (request) => {
    const user = await ownUser(request.user.userId)
    return { enabled: await fastify.totp.isEnabled(user.id) }
  })

  fastify.post('/totp/setup', {
    preHandler: [fastify.authenticate, fastify.requireRecentAuth(SETUP_REAUTH_MAX_AGE_SECONDS)],
    schema: {
      summary: 'Start setting up an authenticator app: a new secret, pending until confirmed',
      tags: ['2fa'],
      security: sessionSecurity,
      // 403 "1005": the sign-in is not recent enough; 409 "1409": the factor is on already.
      response: { 200: TotpSetupSchema, ...errorResponses(401, 403, 404, 409, 503) }
    }
  }, async (request) => {
    const user = await ownUser(request.user.userId)
    return await fastify.totp.startSetup(user.id, user.account)
  })

  fastify.post('/totp/confirm', {
    preHandler: fastify.authenticate,
    schema: {
      summary: 'Turn the second factor on with a code of the pending secret; answers the backup codes once',
      tags: ['2fa'],
      security: sessionSecurity,
      body: CodeBodySchema,
      // 403 "1010": a wrong code; 404: no setup pending; 409: the factor is on already.
      response: { 200: TotpConfirmedSchema, ...errorResponses(400, 401, 403, 404, 409, 429, 503) }
    }
  }, async (request) => {
    const { userId, sessionId } = request.user
    const user = await ownUser(userId)
    // Wrong codes share the budget of wrong passwords given in this session.
    const backupCodes = await fastify.attemptLimiter.guardPasswordChange(userId, sessionId, async () => await fastify.totp.confirm(user.id, request.body.code))
    if (backupCodes === undefined) throw new WrongCodeForChangeError()
    fastify.authEvents.secondFactorChanged('enabled', { userId, sessionId, ip: request.ip })
    return { result: 'success' as const, backupCodes }
  })

  fastify.delete('/totp', {
    preHandler: fastify.authenticate,
    schema: {
      summary: 'Turn the second factor off with a current code or a backup code; every other session ends',
      tags: ['2fa'],
      security: sessionSecurity,
      body: CodeBodySchema,
      // 403 "1010": a wrong code; 404: the factor is not on.
      response: { 200: RevokedCountSchema, ...errorResponses(400, 401, 403, 404, 429, 503) }
    }
  }, async (request) => {
    const { userId, sessionId } = request.user
    const user = await ownUser(userId)
    const removed = await fastify.attemptLimiter.guardPasswordChange(userId, sessionId, async () => await fastify.totp.remove(user.id, request.body.code))
    if (removed === undefined) throw new WrongCodeForChangeError()
    fastify.authEvents.secondFactorChanged('disabled', { userId, sessionId, ip: request.ip })
    // How the account is protected changed: a session that may have been opened by whoever
    // turned the factor off elsewhere ends, as after a password change; this one lives on.
    const revoked = await fastify.sessions.endAll(userId, { reason: 'second_factor_changed', except: sessionId, ip: request.ip })
    return { result: 'success' as const, revoked }
  })
}

export default totp
