import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { totpCodeAt, totpStepAt, TOTP_PERIOD_SECONDS } from '../../src/second-factor/totp.js'
import type { TestClock } from './test-clock.js'
import type { LoggedIn, TestUser } from './sessions.js'

export const TOTP_STEP_MS = TOTP_PERIOD_SECONDS * 1000

export interface EnabledTotp {
  secret: string
  backupCodes: string[]
}

// What an authenticator app would show at the clock's time.
export function currentCode (secret: string, clock: TestClock, stepsFromNow = 0): string {
  return totpCodeAt(secret, totpStepAt(clock.now()) + stepsFromNow)
}

export async function totpSetup (app: FastifyInstance, token: string): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'POST', url: '/auth/2fa/totp/setup', headers: { token } })
}

export async function totpConfirm (app: FastifyInstance, token: string, code: string): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'POST', url: '/auth/2fa/totp/confirm', headers: { token }, payload: { code } })
}

export async function totpRemove (app: FastifyInstance, token: string, code: string): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'DELETE', url: '/auth/2fa/totp', headers: { token }, payload: { code } })
}

// Sets the factor up and confirms it with a code of the clock's step; then moves the clock a
// step on, so that the next code is not the one the confirmation used up.
export async function enableTotp (app: FastifyInstance, session: LoggedIn, clock: TestClock): Promise<EnabledTotp> {
  const setup = await totpSetup(app, session.token)
  if (setup.statusCode !== 200) throw new Error(`setup failed: ${setup.statusCode} ${setup.body}`)
  const { secret } = setup.json<{ secret: string }>()
  const confirmed = await totpConfirm(app, session.token, currentCode(secret, clock))
  if (confirmed.statusCode !== 200) throw new Error(`confirm failed: ${confirmed.statusCode} ${confirmed.body}`)
  clock.advance(TOTP_STEP_MS)
  return { secret, backupCodes: confirmed.json<{ backupCodes: string[] }>().backupCodes }
}

export async function passwordStep (app: FastifyInstance, user: TestUser, more: Record<string, unknown> = {}): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'POST', url: '/auth/login', payload: { account: user.account, password: user.password, ...more } })
}

// The challenge of a login answered 1012.
export async function challengeOf (app: FastifyInstance, user: TestUser, more: Record<string, unknown> = {}): Promise<string> {
  const response = await passwordStep(app, user, more)
  const { errorCode, challenge } = response.json<{ errorCode?: string, challenge?: string }>()
  if (response.statusCode !== 401 || errorCode !== '1012' || challenge === undefined) throw new Error(`expected 1012: ${response.statusCode} ${response.body}`)
  return challenge
}

export async function secondFactor (app: FastifyInstance, challenge: string, code: string): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'POST', url: '/auth/login/second-factor', payload: { challenge, code } })
}
