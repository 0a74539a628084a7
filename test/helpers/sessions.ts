import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import argon2 from 'argon2'
import { ARGON2_OPTIONS, hashPassword } from '../../src/passwords/password-hasher.js'
import type { UserType } from '../../src/tokens/session-claims.js'
import { userIdKey, type UserId } from '../../src/users/user-id.js'

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

// argon2 reads its cost from the stored hash, so a login verifies at the cost the hash was made
// with. Most tests log in to test sessions, not hashing: their users' hash is argon2id at the
// lowest cost. Registrations, password changes and unknown accounts still hash and verify at
// the production cost (ARGON2_OPTIONS, checked in test/passwords/password-hasher.cases.ts), and
// tests whose point is a slow password check ask createUser for the production cost.
const CHEAP_ARGON2_OPTIONS = { ...ARGON2_OPTIONS, memoryCost: 1024, timeCost: 1 }

const testPasswordHashes = new Map<'cheap' | 'production', Promise<string>>()

// Every test user shares one hash of TEST_PASSWORD per cost, made once per process.
async function hashOfTestPassword (cost: 'cheap' | 'production'): Promise<string> {
  let hash = testPasswordHashes.get(cost)
  if (hash === undefined) {
    hash = cost === 'production' ? hashPassword(TEST_PASSWORD) : argon2.hash(TEST_PASSWORD, CHEAP_ARGON2_OPTIONS)
    testPasswordHashes.set(cost, hash)
  }
  return await hash
}

export interface CreateUserOptions {
  // The production argon2 cost, for tests whose races need a password check that takes a while.
  productionHash?: boolean
}

export function uniqueAccount (): string {
  return `user-${randomBytes(5).toString('hex')}@example.com`
}

// The app, or only a user repository (a test whose servers run as processes of their own).
export async function createUser (app: Pick<FastifyInstance, 'users'>, userType: UserType = 'user', options: CreateUserOptions = {}): Promise<TestUser> {
  const account = uniqueAccount()
  const passwordHash = await hashOfTestPassword(options.productionHash === true ? 'production' : 'cheap')
  const user = await app.users.create({ account, passwordHash, userType })
  return { userId: user.id, account, password: TEST_PASSWORD }
}

// `more`: further login body fields (deviceType, rememberMe).
export async function logIn (app: FastifyInstance, user: TestUser, deviceId?: string, more: Record<string, unknown> = {}): Promise<LoggedIn> {
  const response = await app.inject({
    method: 'POST',
    url: '/auth/login',
    payload: { account: user.account, password: user.password, ...(deviceId === undefined ? {} : { deviceId }), ...more }
  })
  if (response.statusCode !== 200) throw new Error(`login failed: ${response.statusCode} ${response.body}`)
  const body = response.json<{ token: string, sessionId: string }>()
  return { ...user, token: body.token, sessionId: body.sessionId, response }
}

export async function createAndLogIn (app: FastifyInstance, userType: UserType = 'user', deviceId?: string): Promise<LoggedIn> {
  return await logIn(app, await createUser(app, userType), deviceId)
}

export interface StartedSession {
  userId: UserId
  token: string
  sessionId: string
  // Refresh strategy: the session's first refresh token.
  refreshToken?: string
}

// A session started as another login would start it (app.sessions.start), for any user id,
// with no password.
export async function startSession (
  app: FastifyInstance, userId: UserId, options: { deviceId?: string, userType?: UserType } = {}
): Promise<StartedSession> {
  const issued = await app.sessions.start({
    userId,
    userType: options.userType ?? 'user',
    account: `${userIdKey(userId)}@example.com`,
    deviceId: options.deviceId,
    ip: '127.0.0.1'
  })
  const { token, sessionId, refreshToken } = issued
  return { userId, token, sessionId, ...(refreshToken === undefined ? {} : { refreshToken }) }
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
