import type { FastifyPluginAsync } from 'fastify'
import { WrongCredentialsError } from '../../src/errors/api-errors.js'
import { prepareDummyHash } from '../../src/passwords/password-hasher.js'
import { normalizeAccount } from '../../src/users/account.js'
import { checkCredentials } from '../../src/users/check-credentials.js'
import { accountSchema, deviceIdSchema, errorResponses, issuedSessionSchema } from '../../plugins/api-schemas.js'

interface LoginBody {
  account: string
  password: string
  deviceId?: string
}

const login: FastifyPluginAsync = async (fastify) => {
  await prepareDummyHash()

  fastify.post<{ Body: LoginBody }>('/login', {
    schema: {
      summary: 'Log in and start a session',
      tags: ['auth'],
      body: {
        type: 'object',
        required: ['account', 'password'],
        properties: {
          account: accountSchema,
          // Not length-checked: an old password that is now too short must still get a plain 1010.
          password: { type: 'string', minLength: 1, maxLength: 256 },
          deviceId: deviceIdSchema
        }
      },
      response: { 200: issuedSessionSchema, ...errorResponses(400, 401, 429, 503) }
    }
  }, async (request, reply) => {
    const account = normalizeAccount(request.body.account)
    const { password, deviceId } = request.body
    const limiter = fastify.attemptLimiter
    await limiter.reserveLogin(account, request.ip)
    let user
    try {
      user = await checkCredentials(fastify.users, account, password)
    } catch (error) {
      // An outage is not a failed guess: give the attempt back.
      await limiter.releaseLogin(account, request.ip).catch(() => undefined)
      throw error
    }
    if (user === undefined) throw new WrongCredentialsError()
    await limiter.releaseLogin(account, request.ip)
    return await fastify.issueSession(request, reply, user, deviceId)
  })
}

export default login
