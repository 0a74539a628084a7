import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
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

let testPasswordHash: Promise<string> | undefined

// argon2 is slow on purpose: every test user shares one hash of TEST_PASSWORD, made once per process.
async function hashOfTestPassword (): Promise<string> {
  testPasswordHash ??= hashPassword(TEST_PASSWORD)
  return await testPasswordHash
}

export function uniqueAccount (): string {
  return `user-${randomBytes(5).toString('hex')}@example.com`
}

export async function createUser (app: FastifyInstance, userType: UserType = 'user'): Promise<TestUser> {
  const account = uniqueAccount()
  const user = await app.users.create({ account, passwordHash: await hashOfTestPassword(), userType })
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

const EXPIRY_LIMIT_MS = 5000

// Redis' own expiry, without waiting out a TTL: the key is given 1 ms to live, and this returns
// once Redis no longer has it (as if its whole TTL had passed).
export async function expireKeyNow (app: FastifyInstance, key: string): Promise<void> {
  if (await app.redis.pexpire(key, 1) !== 1) throw new Error(`no key ${key} to expire`)
  const deadline = Date.now() + EXPIRY_LIMIT_MS
  while (await app.redis.exists(key) === 1) {
    if (Date.now() > deadline) throw new Error(`${key} did not expire`)
    await sleep(1)
  }
}
