import type { FastifyPluginAsync } from 'fastify'
import { WrongCredentialsError } from '../../src/errors/api-errors.js'
import { normalizeAccount } from '../../src/users/account.js'
import { checkCredentials, type CredentialSources } from '../../src/users/check-credentials.js'
import { accountSchema, deviceIdSchema, errorResponses, issuedSessionSchema, loginPasswordSchema } from '../../plugins/api-schemas.js'

const CREDENTIAL_CHECK_ROUNDS = 2

interface LoginBody {
  account: string
  password: string
  deviceId?: string
}

const login: FastifyPluginAsync = async (fastify) => {
  const credentials: CredentialSources = {
    users: fastify.users,
    passwords: fastify.passwordHasher,
    readGeneration: async (userId) => await fastify.sessions.generation(userId)
  }

  fastify.post<{ Body: LoginBody }>('/login', {
    schema: {
      summary: 'Log in and start a session',
      tags: ['auth'],
      body: {
        type: 'object',
        required: ['account', 'password'],
        properties: {
          account: accountSchema,
          password: loginPasswordSchema,
          deviceId: deviceIdSchema
        }
      },
      response: { 200: issuedSessionSchema, ...errorResponses(400, 401, 429, 503) }
    }
  }, async (request, reply) => {
    const account = normalizeAccount(request.body.account)
    const { password, deviceId } = request.body
    const issued = await fastify.attemptLimiter.guardLogin(account, request.ip, async () => {
      // Losing the race to a concurrent password change (or logout-all) means the check is
      // redone against what is stored now, rather than creating a session it would not allow.
      for (let round = 0; round < CREDENTIAL_CHECK_ROUNDS; round++) {
        const checked = await checkCredentials(credentials, account, password)
        if (checked === undefined) return undefined
        const issued = await fastify.issueSession(request, reply, checked.user, checked.generation, deviceId)
        if (issued !== undefined) return issued
      }
      return undefined
    })
    if (issued === undefined) throw new WrongCredentialsError()
    return issued
  })
}

export default login
