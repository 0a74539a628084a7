import { Type, type FastifyPluginAsyncTypebox, type Static } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { GenerationMovedError } from '../../session-check/index.js'
import { errorResponses } from '../../src/api/error-schema.js'
import { AccountSchema, DeviceIdSchema, DeviceTypeSchema, LoginPasswordSchema, RememberMeSchema } from '../../src/api/field-schemas.js'
import { IssuedSessionSchema, type IssuedSession } from '../../src/api/session-schemas.js'
import { isRepeatedRefusal, secondFactorRequired, WrongCredentialsError, type SecondFactorRequired } from '../../src/errors/api-errors.js'
import { failedLoginResult } from '../../src/metrics/auth-events.js'
import { normalizeAccount } from '../../src/users/account.js'
import { checkCredentials, type CheckedLogin, type CredentialSources } from '../../src/users/check-credentials.js'

const CREDENTIAL_CHECK_ROUNDS = 2

const LoginBodySchema = Type.Object({
  account: AccountSchema,
  password: LoginPasswordSchema,
  deviceId: Type.Optional(DeviceIdSchema),
  deviceType: Type.Optional(DeviceTypeSchema),
  rememberMe: Type.Optional(RememberMeSchema)
})

type LoginBody = Static<typeof LoginBodySchema>
type LoginDevice = Pick<LoginBody, 'deviceId' | 'deviceType' | 'rememberMe'>

const login: FastifyPluginAsyncTypebox = async (fastify) => {
  const credentials: CredentialSources = {
    users: fastify.users,
    passwords: fastify.passwordHasher,
    readGeneration: async (userId) => await fastify.sessions.generation(userId)
  }

  // The session of a user whose password was just checked, unless every session of the user
  // was ended since the check read the generation (a password change, a logout-all).
  async function startSession (request: FastifyRequest, reply: FastifyReply, checked: CheckedLogin, device: LoginDevice): Promise<IssuedSession | undefined> {
    const { user, generation } = checked
    try {
      return await fastify.sessions.start(
        { userId: user.id, userType: user.userType, account: user.account, ...device, authMethod: 'password' },
        { request, reply, generation })
    } catch (error) {
      if (error instanceof GenerationMovedError) return undefined
      throw error
    }
  }

  // A user with a second factor gets no session yet: a challenge, bound to this login's device
  // and to the generation read before the password check (see POST /auth/login/second-factor).
  async function challengeFor ({ user, generation }: CheckedLogin, device: LoginDevice): Promise<SecondFactorRequired> {
    const challenge = await fastify.loginChallenges.issue({ userId: user.id, userType: user.userType, account: user.account, generation, ...device })
    return secondFactorRequired(challenge)
  }

  // Within the failed-login budgets. Losing the race to a concurrent password change (or
  // logout-all) means the check is redone against what is stored now, rather than creating a
  // session it would not allow.
  async function logIn (request: FastifyRequest, reply: FastifyReply, { account, password, ...device }: LoginBody): Promise<IssuedSession> {
    const outcome = await fastify.attemptLimiter.guardLogin(account, request.ip, async () => {
      for (let round = 0; round < CREDENTIAL_CHECK_ROUNDS; round++) {
        const checked = await checkCredentials(credentials, account, password)
        if (checked === undefined) return undefined
        // A right password hands back its attempt: the codes that follow are counted on their own.
        if (checked.user.secondFactor) return await challengeFor(checked, device)
        const issued = await startSession(request, reply, checked, device)
        if (issued !== undefined) return issued
      }
      return undefined
    })
    if (outcome === undefined) throw new WrongCredentialsError()
    if (outcome instanceof Error) throw outcome
    return outcome
  }

  fastify.post('/login', {
    schema: {
      summary: 'Log in and start a session',
      tags: ['auth'],
      body: LoginBodySchema,
      // 401: wrong credentials (1010), or the right password of an account with a second factor
      // (1012, with the challenge); 403: a banned user's right password (1011).
      response: { 200: IssuedSessionSchema, ...errorResponses(400, 401, 403, 409, 429, 503) }
    }
  }, async (request, reply) => {
    const account = normalizeAccount(request.body.account)
    const { deviceId, deviceType } = request.body
    try {
      const issued = await logIn(request, reply, { ...request.body, account })
      fastify.authEvents.loginAttempted('success', { account, userId: issued.userId, sessionId: issued.sessionId, deviceId, ip: request.ip })
      return issued
    } catch (error) {
      fastify.authEvents.loginAttempted(failedLoginResult(error), { account, deviceId, deviceType, ip: request.ip, repeatedRefusal: isRepeatedRefusal(error) })
      throw error
    }
  })
}

export default login
