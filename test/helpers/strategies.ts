import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import type { Test } from 'tap'
import type { BuildOptions } from './build-app.js'
import { POSTGRES_URL, reachablePostgresUrl } from './database.js'
import { logIn, type TestUser } from './sessions.js'

export type StrategyName = 'sliding' | 'refresh' | 'refresh-postgres'

export interface Strategy {
  name: StrategyName
  // The subtest's name: the strategy, and whether the near-cache is off.
  label: string
  // AUTH_STRATEGY=refresh: logins also hand out a refresh token, access requests do not slide.
  refresh: boolean
  // To merge into buildTestApp's options.
  env: Record<string, string>
  databaseUrl?: string
  // Why the strategy cannot run here, if it cannot.
  skip?: string
}

// A fresh PGlite takes seconds to open, PostgreSQL milliseconds: with three strategies per test,
// every strategy uses PostgreSQL when one answers (the users table is not what these tests test).
const postgresUrl = await reachablePostgresUrl()

export const SLIDING: Strategy = { name: 'sliding', label: 'sliding', refresh: false, env: {}, databaseUrl: postgresUrl }

const REFRESH: Strategy = { name: 'refresh', label: 'refresh', refresh: true, env: { AUTH_STRATEGY: 'refresh' }, databaseUrl: postgresUrl }

const REFRESH_POSTGRES: Strategy = {
  name: 'refresh-postgres',
  label: 'refresh-postgres',
  refresh: true,
  env: { AUTH_STRATEGY: 'refresh', REFRESH_STORE: 'postgres' },
  databaseUrl: POSTGRES_URL,
  ...(postgresUrl === undefined ? { skip: `REFRESH_STORE=postgres needs PostgreSQL at ${POSTGRES_URL}` } : {})
}

// The same strategy with every touch read from Redis.
function withoutNearCache (strategy: Strategy): Strategy {
  return { ...strategy, label: `${strategy.label}, NEAR_CACHE=off`, env: { ...strategy.env, NEAR_CACHE: 'off' } }
}

// Every strategy, with the near-cache on (the default).
export const STRATEGIES: readonly Strategy[] = [SLIDING, REFRESH, REFRESH_POSTGRES]

export const REFRESH_STRATEGIES = STRATEGIES.filter((strategy) => strategy.refresh)

// For the suites whose answers could differ with the near-cache: a session served from memory
// must expire, slide, end and survive outages exactly as one read from Redis every time. The
// others run with the cache on only, where a session's first request reads Redis anyway.
export const STRATEGIES_WITH_AND_WITHOUT_NEAR_CACHE: readonly Strategy[] = [
  SLIDING,
  withoutNearCache(SLIDING),
  REFRESH,
  withoutNearCache(REFRESH),
  REFRESH_POSTGRES
]

export const REFRESH_STRATEGIES_WITH_AND_WITHOUT_NEAR_CACHE = STRATEGIES_WITH_AND_WITHOUT_NEAR_CACHE.filter((strategy) => strategy.refresh)

// One subtest per strategy, named after it; a strategy that cannot run here is skipped with its reason.
export function forEachStrategy (
  t: Test, body: (t: Test, strategy: Strategy) => Promise<void>, strategies: readonly Strategy[] = STRATEGIES
): void {
  for (const strategy of strategies) {
    t.test(strategy.label, { skip: strategy.skip ?? false }, async (t) => await body(t, strategy))
  }
}

// buildTestApp's options for this strategy, with `env` on top of the strategy's own.
export function appOptions (strategy: Strategy, env: Record<string, string> = {}): BuildOptions {
  return { env: { ...strategy.env, ...env }, databaseUrl: strategy.databaseUrl }
}

// The setting that gives a new session `seconds` to live: SESSION_TTL, or with refresh tokens
// REFRESH_TOKEN_TTL (a refresh-strategy session lives as long as its refresh token).
export function sessionTtlEnv (strategy: Strategy, seconds: number): Record<string, string> {
  return strategy.refresh ? { REFRESH_TOKEN_TTL: String(seconds) } : { SESSION_TTL: String(seconds) }
}

// The refresh token a login, refresh or password change handed out (refresh strategies only).
export function refreshTokenOf (response: LightMyRequestResponse): string {
  const { refreshToken } = response.json<{ refreshToken?: unknown }>()
  if (typeof refreshToken !== 'string') throw new Error(`no refreshToken in ${response.body}`)
  return refreshToken
}

export async function refresh (app: FastifyInstance, refreshToken: string): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken } })
}

export interface RefreshLogin {
  userId: number
  sessionId: string
  token: string
  refreshToken: string
}

// A login under a refresh strategy: the access token and the refresh token it handed out.
export async function logInForRefresh (app: FastifyInstance, user: TestUser, deviceId?: string): Promise<RefreshLogin> {
  const login = await logIn(app, user, deviceId)
  return { userId: login.userId, sessionId: login.sessionId, token: login.token, refreshToken: refreshTokenOf(login.response) }
}
