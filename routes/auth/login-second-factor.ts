import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { GenerationMovedError } from '../../session-check/index.js'
import { errorResponses } from '../../src/api/error-schema.js'
import { OneTimeCodeSchema } from '../../src/api/field-schemas.js'
import { IssuedSessionSchema, type IssuedSession } from '../../src/api/session-schemas.js'
import { challengeExpired, isRepeatedRefusal, WrongCodeError } from '../../src/errors/api-errors.js'
import { failedLoginResult } from '../../src/metrics/auth-events.js'
import type { LoginChallenge } from '../../src/second-factor/login-challenges.js'
import { PASSWORD_AND_OTP_AMR } from '../../src/sessions/session-amr.js'

const WRONG_CODE = Symbol('wrong code')

const SecondFactorBodySchema = Type.Object({
  challenge: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$', description: 'the challenge of the 1012 answer to POST /auth/login' }),
  code: OneTimeCodeSchema
})

// The second step of a login whose account has a second factor: the challenge POST /auth/login
// answered with 1012, and a code. The session starts exactly as login starts it.
const loginSecondFactor: FastifyPluginAsyncTypebox = async (fastify) => {
  // As login: unless every session of the user was ended since the password check read the
  // generation (a password change, a logout-all), which voids the challenge.
  async function startSession (request: FastifyRequest, reply: FastifyReply, login: LoginChallenge): Promise<IssuedSession> {
    const { userId, userType, account, deviceId, deviceType, rememberMe, generation } = login
    try {
      return await fastify.sessions.start(
        { userId, userType, account, deviceId, deviceType, rememberMe, authMethod: 'password', amr: [...PASSWORD_AND_OTP_AMR] },
        { request, reply, generation })
    } catch (error) {
      if (error instanceof GenerationMovedError) throw challengeExpired()
      throw error
    }
  }

  // Within the login budgets of the challenge's account: a wrong code counts as a wrong password
  // does, and the challenge itself takes only a few (MAX_WRONG_CODES_PER_CHALLENGE) before it is void.
  async function completeLogin (request: FastifyRequest, reply: FastifyReply, challenge: string, login: LoginChallenge, code: string): Promise<IssuedSession> {
    // One code at a time per challenge: a request racing another with the same challenge waits,
    // and once the other has used the challenge its code is not checked (nor spent).
    const outcome = await fastify.loginChallenges.whileClaimed(challenge, async () => {
      // A challenge that a password change or a logout-all voided since the password check is
      // refused before its code is checked: a one-time code (a backup code, a TOTP step) is not
      // spent on a login that could not start. One ending in between the two is still caught
      // when the session starts.
      if (await fastify.sessions.generation(login.userId) !== login.generation) {
        await fastify.loginChallenges.consume(challenge)
        throw challengeExpired()
      }
      const issued = await fastify.attemptLimiter.guardLogin(login.account, request.ip, async () => {
        if (await fastify.totp.verify(login.userId, code) === undefined) {
          await fastify.loginChallenges.countWrongCode(challenge)
          return undefined
        }
        // Single use: of two requests with one challenge, one starts a session.
        if (!await fastify.loginChallenges.consume(challenge)) throw challengeExpired()
        return await startSession(request, reply, login)
      })
      return issued ?? WRONG_CODE
    })
    if (outcome === undefined) throw challengeExpired()
    if (outcome === WRONG_CODE) throw new WrongCodeError()
    return outcome
  }

  fastify.post('/login/second-factor', {
    schema: {
      summary: 'Finish a login that answered 1012: the challenge and a code (authenticator app or backup code)',
      tags: ['auth'],
      body: SecondFactorBodySchema,
      // 401 "1010": a wrong code, or (reason challenge_expired) a challenge that no longer works.
      response: { 200: IssuedSessionSchema, ...errorResponses(400, 401, 403, 409, 429, 503) }
    }
  }, async (request, reply) => {
    const { challenge, code } = request.body
    const login = await fastify.loginChallenges.find(challenge)
    // 256 random bits: guessing one is hopeless, so an unknown challenge costs no budget.
    if (login === undefined) throw challengeExpired()
    const { account, userId, deviceId, deviceType } = login
    try {
      const issued = await completeLogin(request, reply, challenge, login, code)
      fastify.authEvents.loginAttempted('success', { account, userId, sessionId: issued.sessionId, deviceId, ip: request.ip })
      return issued
    } catch (error) {
      fastify.authEvents.loginAttempted(failedLoginResult(error), { account, userId, deviceId, deviceType, ip: request.ip, repeatedRefusal: isRepeatedRefusal(error) })
      throw error
    }
  })
}

export default loginSecondFactor
