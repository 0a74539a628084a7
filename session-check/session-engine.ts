import type { FastifyBaseLogger } from 'fastify'
import type { Clock } from '../src/clock.js'
import type { SessionCheckSettings } from '../src/config/session-check-settings.js'
import { refreshPolicyOf, refreshTokensInPostgres, sessionPolicyOf } from '../src/config/session-policies.js'
import type { SqlDatabase } from '../src/db/sql-database.js'
import { NO_AUTH_EVENTS, type AuthEvents } from '../src/metrics/auth-events.js'
import type { RedisClient } from '../src/redis/redis-client.js'
import { PostgresRefreshTokenStore } from '../src/refresh/postgres-refresh-token-store.js'
import { RedisRefreshTokenStore } from '../src/refresh/redis-refresh-token-store.js'
import { RefreshService } from '../src/refresh/refresh-service.js'
import type { RefreshTokenStore } from '../src/refresh/refresh-token-store.js'
import { successorKey } from '../src/refresh/successor-key.js'
import { SessionService } from '../src/sessions/session-service.js'
import type { SessionStore } from '../src/sessions/session-store.js'
import type { SessionTokenCodec } from '../src/tokens/session-token-codec.js'
import type { LifecycleRefusals } from './session-lifecycle.js'
import { streamedEvents } from './stream-events.js'

export interface SessionEngineParts {
  redis: RedisClient
  store: SessionStore
  tokens: SessionTokenCodec
  clock: Clock
  log: FastifyBaseLogger
  // The auth server's own: its metrics and session events. A service's are told to EVENTS_STREAM, if set.
  events?: AuthEvents
  // The auth server's own database, for REFRESH_STORE=postgres; else one is opened from DATABASE_URL.
  database?: SqlDatabase
}

export interface SessionEngine {
  engine: SessionService
  refreshTokens: RefreshService | null
  refreshStore: RefreshTokenStore | undefined
  refusals: LifecycleRefusals
  // Closes what this opened (a PostgreSQL pool).
  close: () => Promise<void>
}

const PUBLIC_KEYS_ONLY = 'This service was given public keys only (jwtKeys/JWT_KEYS without the signing key\'s privateKey): ' +
  'it can check sessions but not start them. Start them on the auth server (POST /service/sessions), or give this service the signing key.'
const NO_REFRESH_SECRET = 'AUTH_STRATEGY=refresh: starting sessions needs refreshTokenSecret (REFRESH_TOKEN_SECRET), ' +
  'the auth server\'s own (its JWT_SECRET where it has no REFRESH_TOKEN_SECRET)'
const NO_DATABASE = 'REFRESH_STORE=postgres: starting or ending sessions needs the auth server\'s database: give databaseUrl (DATABASE_URL)'

// The session engine behind app.sessions: the store the check uses, and the refresh tokens of the
// refresh strategy, in Redis or in the auth server's PostgreSQL database. What this service lacks
// to start or end sessions (a signing key, the refresh secret, the database) is said when it tries.
export async function openSessionEngine (settings: SessionCheckSettings, parts: SessionEngineParts): Promise<SessionEngine> {
  const refusals: LifecycleRefusals = { start: parts.tokens.canSign ? undefined : PUBLIC_KEYS_ONLY }
  const streamed = parts.events === undefined ? streamedEvents(settings, parts.redis, parts.clock, parts.log) : undefined
  const events = parts.events ?? streamed?.events ?? NO_AUTH_EVENTS
  let close = async (): Promise<void> => { await streamed?.settled() }
  let refreshStore: RefreshTokenStore | undefined
  const secret = settings.refreshTokenSecret
  if (refreshTokensInPostgres(settings)) {
    let database = parts.database
    if (database === undefined && settings.DATABASE_URL !== undefined) {
      // Loaded only here: a service on the sliding strategy needs no PostgreSQL driver.
      const { openPostgres } = await import('../src/db/postgres-database.js')
      const opened = openPostgres(settings.DATABASE_URL, (error) => parts.log.warn({ err: error }, 'PostgreSQL connection error'))
      close = async () => {
        await streamed?.settled()
        await opened.close()
      }
      database = opened
    }
    if (database === undefined) {
      refusals.start ??= NO_DATABASE
      refusals.end = NO_DATABASE
    } else {
      refreshStore = new PostgresRefreshTokenStore(database, parts.store)
    }
  } else if (settings.AUTH_STRATEGY === 'refresh' && secret !== undefined) {
    refreshStore = new RedisRefreshTokenStore(parts.redis, parts.store, successorKey(secret), settings.REDIS_KEY_PREFIX)
  }
  if (settings.AUTH_STRATEGY === 'refresh' && secret === undefined) refusals.start ??= NO_REFRESH_SECRET
  const engine = new SessionService(parts.store, sessionPolicyOf(settings), refreshStore, parts.clock, events)
  const refreshTokens = refreshStore === undefined || secret === undefined
    ? null
    : new RefreshService(refreshStore, successorKey(secret), refreshPolicyOf(settings), parts.clock, events, engine)
  return { engine, refreshTokens, refreshStore, refusals, close }
}
