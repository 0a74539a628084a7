import { randomBytes } from 'node:crypto'
import type { BenchDatabase } from './database.js'
import { ourServerSpec, type NearCacheMode, type OurServerOptions } from './our-server.js'
import { referenceServer, startServer, type RunningServer } from './servers.js'
import { assertSessionsWork, benchAccounts, logInWithCookie, logInWithToken, registerAccounts, type ConnectionHeaders } from './sessions.js'
import type { BenchSettings } from './settings.js'
import type { Target } from './throughput.js'

// Starts every server of the throughput table and logs in the sessions that load them.

export interface BenchContext {
  redisUrl: string
  // Our servers' Redis Cluster settings, when they run on one instead of redisUrl.
  redisCluster?: Record<string, string>
  jwtSecret: string
  database: BenchDatabase
  accounts: string[]
  connections: number
  progress: (line: string) => void
}

// With sessions spread two per user, as in the filled Redis.
const SESSIONS_PER_ACCOUNT = 2

export function newBenchContext (
  redisUrl: string, database: BenchDatabase, settings: BenchSettings, progress: (line: string) => void
): BenchContext {
  return {
    redisUrl,
    jwtSecret: randomBytes(48).toString('base64'),
    database,
    accounts: benchAccounts(Math.ceil(settings.connections / SESSIONS_PER_ACCOUNT)),
    connections: settings.connections,
    progress
  }
}

export interface OurServers {
  on: RunningServer
  off: RunningServer
  refresh: RunningServer
}

export interface ThroughputSetup {
  targets: Target[]
  ours: OurServers
  servers: RunningServer[]
}

export async function startOurServer (
  context: BenchContext, name: string, options: Pick<OurServerOptions, 'strategy' | 'nearCache' | 'keyPrefix' | 'metrics' | 'serviceKeys'>
): Promise<RunningServer> {
  const server = await startServer(ourServerSpec({ name, redisUrl: context.redisUrl, redisCluster: context.redisCluster, jwtSecret: context.jwtSecret, database: context.database, ...options }))
  // A shared database needs the accounts once; PGlite instances each need their own.
  if (!context.database.shared || name === FIRST_SERVER) await registerAccounts(server.url, context.accounts)
  return server
}

const FIRST_SERVER = 'ours-on'

export function keyPrefixFor (strategy: 'sliding' | 'refresh', nearCache: NearCacheMode, purpose = 'bench'): string {
  return `${purpose}-${strategy}-${nearCache}:`
}

export async function logInOurSessions (context: BenchContext, server: RunningServer): Promise<ConnectionHeaders[]> {
  const sessions = await logInWithToken(server.url, context.accounts, context.connections)
  await assertSessionsWork(`${server.url}/auth/me`, sessions)
  return sessions
}

export async function startThroughputSetup (context: BenchContext): Promise<ThroughputSetup> {
  const { progress } = context
  progress('starting our server (sliding near-cache on and off, refresh) and registering accounts')
  // Started one after the other: the first one migrates the database.
  const on = await startOurServer(context, FIRST_SERVER, { strategy: 'sliding', nearCache: 'on', keyPrefix: keyPrefixFor('sliding', 'on') })
  const off = await startOurServer(context, 'ours-off', { strategy: 'sliding', nearCache: 'off', keyPrefix: keyPrefixFor('sliding', 'off') })
  const refresh = await startOurServer(context, 'ours-refresh', { strategy: 'refresh', nearCache: 'on', keyPrefix: keyPrefixFor('refresh', 'on') })
  progress('starting the reference servers')
  const referenceEnv = { REDIS_URL: context.redisUrl, JWT_SECRET: context.jwtSecret }
  const startReference = async (name: string): Promise<RunningServer> =>
    await startServer({ name, script: referenceServer(name), env: referenceEnv })
  const bare = await startReference('bare-fastify')
  const naive = await startReference('naive-jwt-redis')
  const fastifySession = await startReference('fastify-session')
  const expressSession = await startReference('express-session')

  progress(`logging in ${context.connections} sessions per authenticated target`)
  const cookieSessions = async (server: RunningServer): Promise<ConnectionHeaders[]> => {
    const sessions = await logInWithCookie(server.url, context.accounts, context.connections)
    await assertSessionsWork(`${server.url}/auth/me`, sessions)
    return sessions
  }
  const naiveSessions = await logInWithToken(naive.url, context.accounts, context.connections)
  await assertSessionsWork(`${naive.url}/auth/me`, naiveSessions)
  const onSessions = await logInOurSessions(context, on)
  const targets: Target[] = [
    { id: 'bare', label: 'bare Fastify route, no auth (the limit)', url: `${bare.url}/auth/me`, pid: bare.pid },
    { id: 'bare-headers', label: 'bare Fastify /health with our fixed headers', url: `${bare.url}/with-headers/health`, pid: bare.pid },
    { id: 'ours-health', label: 'our server, GET /health (no auth)', url: `${on.url}/health`, pid: on.pid },
    { id: 'ours-on', label: 'our /auth/me, sliding, near-cache on', url: `${on.url}/auth/me`, pid: on.pid, sessions: onSessions },
    // Forward auth for gateways: the same check, answered 204 with the identity headers.
    { id: 'ours-verify', label: 'our GET /auth/verify, sliding, near-cache on', url: `${on.url}/auth/verify`, pid: on.pid, sessions: onSessions },
    { id: 'ours-off', label: 'our /auth/me, sliding, NEAR_CACHE=off', url: `${off.url}/auth/me`, pid: off.pid, sessions: await logInOurSessions(context, off) },
    { id: 'ours-refresh', label: 'our /auth/me, refresh access token', url: `${refresh.url}/auth/me`, pid: refresh.pid, sessions: await logInOurSessions(context, refresh) },
    { id: 'naive', label: 'naive: JWT + EXISTS + EXPIRE', url: `${naive.url}/auth/me`, pid: naive.pid, sessions: naiveSessions },
    { id: 'fastify-session', label: '@fastify/session + connect-redis', url: `${fastifySession.url}/auth/me`, pid: fastifySession.pid, sessions: await cookieSessions(fastifySession) },
    { id: 'express-session', label: 'express-session + connect-redis', url: `${expressSession.url}/auth/me`, pid: expressSession.pid, sessions: await cookieSessions(expressSession) }
  ]
  return { targets, ours: { on, off, refresh }, servers: [on, off, refresh, bare, naive, fastifySession, expressSession] }
}
