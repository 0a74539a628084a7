import type { FastifyPluginAsync } from 'fastify'
import type { CodeRequestBudget } from '../code-request-budget.ts'
import type { CodeSender } from '../code-sender.ts'
import type { CodeStore } from '../code-store.ts'
import { ERROR_CODES, errorBody } from '../error-answers.ts'
import type { PhoneUsers } from '../phone-users.ts'

// POST /code sends a one-time code; POST /login trades it for a session of the auth server's.

export interface SignInOptions {
  codes: CodeStore
  budget: CodeRequestBudget
  sender: CodeSender
  users: PhoneUsers
}

// E.164: '+', a country code that does not start with 0, at most 15 digits in all.
const PHONE = { type: 'string', pattern: '^\\+[1-9][0-9]{6,14}$' } as const
// As the auth server's login takes it: no control or format characters.
const DEVICE_ID = { type: 'string', minLength: 1, maxLength: 128, pattern: '^[^\\p{Cc}\\p{Cf}]*$' } as const

interface CodeRequest { phone: string }
interface LoginRequest { phone: string, code: string, deviceId?: string }

const codeRequestSchema = {
  type: 'object',
  required: ['phone'],
  additionalProperties: false,
  properties: { phone: PHONE }
} as const

const loginRequestSchema = {
  type: 'object',
  required: ['phone', 'code'],
  additionalProperties: false,
  properties: { phone: PHONE, code: { type: 'string', pattern: '^[0-9]{6}$' }, deviceId: DEVICE_ID }
} as const

const signIn: FastifyPluginAsync<SignInOptions> = async (app, { codes, budget, sender, users }) => {
  // The same answer whether or not the phone has an account: a first sign-in creates it, and
  // nobody learns from this route who is a user.
  app.post<{ Body: CodeRequest }>('/code', { schema: { body: codeRequestSchema } }, async (request, reply) => {
    const { phone } = request.body
    const spent = await budget.take(phone)
    if (!spent.allowed) {
      reply.header('retry-after', String(spent.retryAfterSeconds))
      return await reply.code(429).send(errorBody(ERROR_CODES.tooManyRequests, `Too many codes for this phone, retry in ${spent.retryAfterSeconds} seconds`))
    }
    await sender.send(phone, await codes.issue(phone))
    return { result: 'success', expiresIn: codes.ttlSeconds }
  })

  app.post<{ Body: LoginRequest }>('/login', { schema: { body: loginRequestSchema } }, async (request, reply) => {
    const { phone, code, deviceId } = request.body
    const checked = await codes.check(phone, code)
    if (!checked.accepted) {
      const info = checked.attemptsLeft > 0
        ? `Wrong code, ${checked.attemptsLeft} attempts left`
        : 'Wrong code, and none left to try (none sent, expired, used or out of attempts): request a new one'
      return await reply.code(401).send(errorBody(ERROR_CODES.wrongCode, info))
    }
    const userId = await users.signInId(phone)
    // What the auth server's own login does, for this user: the session, its token, the cookies.
    // amr "sms" (RFC 8176): proven by a code sent to the phone, shown by /auth/me and in events.
    return await app.sessions.start(
      { userId, userType: 'user', deviceId, authMethod: 'phone_code', amr: ['sms'], account: phone },
      { request, reply })
  })
}

export default signIn
