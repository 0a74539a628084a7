import Fastify, { type FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Writable } from 'node:stream'
import app, { buildServerOptions } from '../../app.js'
import type { Clock } from '../../src/clock.js'
import { loadConfig, type AppConfig } from '../../src/config/load-config.js'
import { prettyServerOptions } from '../../bin/dev-log.js'
import { createTestDatabase } from './database.js'
import { sharedRedisDatabaseUrl, type RedisServer } from './redis-server.js'

export const TEST_JWT_SECRET = 'test-secret-that-is-at-least-32-characters-long'
// What production requires of every server process the tests start in it (64 hex digits: 32 bytes).
export const TEST_DATA_ENCRYPTION_KEY = '5e'.repeat(32)
// How long a Redis command may take before the request answers 503. The production default
// (500 ms) is about Redis; on a test machine whose cores are busy elsewhere the test process
// itself can take that long to read an answer, which is no outage. Tests of a stalled Redis set
// their own (shorter) REDIS_COMMAND_TIMEOUT; a killed one fails commands at once.
const TEST_REDIS_COMMAND_TIMEOUT_MS = '5000'

export interface TestContext {
  teardown: (fn: () => unknown) => void
}

export interface TestApp {
  app: FastifyInstance
  config: AppConfig
  // The redis-server given in the options (one the test may kill, pause or restart).
  redisServer?: RedisServer
}

export interface BuildOptions {
  env?: Record<string, string>
  redisServer?: RedisServer
  databaseUrl?: string
  logStream?: Writable
  // The log as `npm run dev` writes it for a person (bin/dev-log.ts), instead of logStream's JSON.
  prettyLogStream?: Writable
  // A clock the test moves (TestClock.now); the system clock otherwise.
  clock?: Clock
}

// Builds the real app against real Redis and a real database, exactly as the server does.
export async function buildTestApp (t: TestContext, options: BuildOptions = {}): Promise<TestApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'auth-data-'))
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))

  const { redisServer } = options
  const givenRedisUrl = process.env.REDIS_URL
  let redisEnv: Record<string, string>
  if (redisServer !== undefined) redisEnv = { REDIS_URL: redisServer.url }
  else if (givenRedisUrl === undefined || givenRedisUrl === '') redisEnv = { REDIS_URL: await sharedRedisDatabaseUrl() }
  else redisEnv = { REDIS_URL: givenRedisUrl, REDIS_KEY_PREFIX: `test-${randomBytes(6).toString('hex')}:` }

  const database = await createTestDatabase(options.databaseUrl, { migrated: true })
  t.teardown(async () => await database.drop())

  const config = loadConfig({
    // JWT_KEYS, which a test may set, excludes JWT_SECRET.
    ...(options.env?.JWT_KEYS === undefined ? { JWT_SECRET: TEST_JWT_SECRET } : {}),
    LOG_LEVEL: options.logStream === undefined && options.prettyLogStream === undefined ? 'silent' : 'info',
    DATA_DIR: dataDir,
    REDIS_COMMAND_TIMEOUT: TEST_REDIS_COMMAND_TIMEOUT_MS,
    ...redisEnv,
    ...(database.url === undefined ? {} : { DATABASE_URL: database.url }),
    ...options.env
  })
  const serverOptions = buildServerOptions(config)
  if (options.logStream !== undefined) {
    serverOptions.logger = { ...(serverOptions.logger as object), stream: options.logStream }
  }
  const pretty = options.prettyLogStream
  const fastify = Fastify(pretty === undefined ? serverOptions : prettyServerOptions(serverOptions, pretty))
  // Registered before the plugins load, so a half-built app still closes its connections.
  t.teardown(async () => await fastify.close())
  // fastify-plugin lifts the app's decorators (users, sessions, redis) to where tests can reach them.
  await fastify.register(fp(app), { config, ...(options.clock === undefined ? {} : { clock: options.clock }) })
  await fastify.ready()
  return { app: fastify, config, redisServer }
}
