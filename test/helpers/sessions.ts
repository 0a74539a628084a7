import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { randomBytes } from 'node:crypto'
import { hashPassword } from '../../src/passwords/password-hasher.js'
import type { UserType } from '../../src/tokens/session-claims.js'

export const TEST_PASSWORD = 'correct horse battery staple'

export interface TestUser {
  userId: number
  account: string
  password: string
}

export interface LoggedIn extends TestUser {
  token: string
  sessionId: string
  response: LightMyRequestResponse
}

export function uniqueAccount (): string {
  return `user-${randomBytes(5).toString('hex')}@example.com`
}

export async function createUser (app: FastifyInstance, userType: UserType = 'user'): Promise<TestUser> {
  const account = uniqueAccount()
  const user = await app.users.create({ account, passwordHash: await hashPassword(TEST_PASSWORD), userType })
  return { userId: user.id, account, password: TEST_PASSWORD }
}

export async function logIn (app: FastifyInstance, user: TestUser, deviceId?: string): Promise<LoggedIn> {
  const response = await app.inject({
    method: 'POST',
    url: '/auth/login',
    payload: { account: user.account, password: user.password, ...(deviceId === undefined ? {} : { deviceId }) }
  })
  if (response.statusCode !== 200) throw new Error(`login failed: ${response.statusCode} ${response.body}`)
  const body = response.json<{ token: string, sessionId: string }>()
  return { ...user, token: body.token, sessionId: body.sessionId, response }
}

export async function createAndLogIn (app: FastifyInstance, userType: UserType = 'user', deviceId?: string): Promise<LoggedIn> {
  return await logIn(app, await createUser(app, userType), deviceId)
}

export async function me (app: FastifyInstance, token: string): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'GET', url: '/auth/me', headers: { token } })
}
