import { randomBytes } from 'node:crypto'
import type { BenchDatabase } from './database.js'
import { OUR_SERVER, type ServerSpec } from './servers.js'
import { startCommand } from './start-command.js'

// How the bench runs our server: as `npm start` does (its variables and node flags), in
// production mode, quiet logs, its own key prefix per configuration (so one configuration's
// writes never reach another one's near-cache through Redis' invalidations) and rate limits out
// of the way of hundreds of logins (and thousands of service sessions) from one IP.

export type NearCacheMode = 'on' | 'off'

export interface OurServerOptions {
  name: string
  redisUrl: string
  // REDIS_CLUSTER_NODES (and credentials): when given, the server uses that cluster, not redisUrl.
  redisCluster?: Record<string, string>
  jwtSecret: string
  database: BenchDatabase
  strategy: 'sliding' | 'refresh'
  nearCache: NearCacheMode
  keyPrefix: string
  // METRICS; off (the server's default) unless a comparison asks for it.
  metrics?: 'on' | 'off'
  // SERVICE_KEYS (its JSON list), for a phase that starts sessions through /service/sessions.
  serviceKeys?: string
  // Node flags in place of the start script's, for a comparison of flags (bench/node-flags-bench.ts).
  nodeArgs?: string[]
}

const NO_PRACTICAL_LIMIT = '1000000000'

export function ourServerSpec (options: OurServerOptions): ServerSpec {
  const start = startCommand()
  return {
    name: options.name,
    script: OUR_SERVER,
    nodeArgs: options.nodeArgs ?? start.nodeArgs,
    env: {
      ...start.env,
      NODE_ENV: 'production',
      // Required in production; the benchmark sets up no second factor, so any key will do.
      DATA_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
      LOG_LEVEL: 'warn',
      ...options.redisCluster ?? { REDIS_URL: options.redisUrl },
      REDIS_KEY_PREFIX: options.keyPrefix,
      JWT_SECRET: options.jwtSecret,
      AUTH_STRATEGY: options.strategy,
      NEAR_CACHE: options.nearCache,
      METRICS: options.metrics ?? 'off',
      ...options.serviceKeys === undefined ? {} : { SERVICE_KEYS: options.serviceKeys },
      RATE_LIMIT_LOGIN_ACCOUNT_IP: NO_PRACTICAL_LIMIT,
      RATE_LIMIT_LOGIN_ACCOUNT: NO_PRACTICAL_LIMIT,
      RATE_LIMIT_LOGIN_IP: NO_PRACTICAL_LIMIT,
      RATE_LIMIT_REGISTER_IP: NO_PRACTICAL_LIMIT,
      RATE_LIMIT_REFRESH_SESSION: NO_PRACTICAL_LIMIT,
      RATE_LIMIT_REFRESH_IP: NO_PRACTICAL_LIMIT,
      ...options.database.envForInstance()
    }
  }
}
