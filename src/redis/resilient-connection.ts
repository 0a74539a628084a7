import type { RedisOptions } from 'ioredis'
import type { RedisClient } from './redis-client.js'
import { isCluster, newRedisClient, redisLocation, seedNodeError, type RedisConnectionSettings } from './redis-connection.js'

const CONNECT_TIMEOUT_MS = 2000
const MAX_RECONNECT_DELAY_MS = 1000
const RECONNECT_STEP_MS = 100

// Reconnection forever, a little later each time, at most a second apart.
export function reconnectDelayMs (attempt: number): number {
  return Math.min(attempt * RECONNECT_STEP_MS, MAX_RECONNECT_DELAY_MS)
}

// Tuned so that a Redis outage is answered fast and plainly (503) and heals by itself:
// no offline queue (a command while disconnected fails at once instead of waiting), a bounded
// command timeout (a stalled server cannot hold a request), and reconnection forever.
export function resilientRedisOptions (commandTimeoutMs: number): RedisOptions {
  return {
    enableOfflineQueue: false,
    commandTimeout: commandTimeoutMs,
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 1,
    // A request's outcome is decided within the request: never replay its commands later.
    autoResendUnfulfilledCommands: false,
    retryStrategy: reconnectDelayMs
  }
}

export interface OutageLog {
  warn: (details: object, message: string) => void
  info: (message: string) => void
}

// ioredis reports every failed reconnect; one line per outage is enough.
export function logRedisOutages (redis: RedisClient, log: OutageLog): void {
  let down = false
  redis.on('error', (error: Error) => {
    if (!down) log.warn({ err: error }, 'Redis connection lost; answering 503 until it returns')
    down = true
  })
  redis.on('ready', () => {
    if (down) log.info('Redis connection restored')
    down = false
  })
}

// QUIT when Redis answers; during an outage there is nothing to say goodbye to, and a shutdown
// (SIGTERM while Redis is down) must not fail for it.
export async function closeRedis (redis: RedisClient): Promise<void> {
  try {
    await redis.quit()
  } catch {
    redis.disconnect()
  }
}

// Opens the client a server runs on and fails when Redis does not answer, so a misconfigured
// location is found at deploy time; later outages answer 503 and heal by themselves.
export async function openResilientRedis (
  settings: RedisConnectionSettings & { REDIS_COMMAND_TIMEOUT: number }, log: OutageLog
): Promise<RedisClient> {
  const redis = newRedisClient(settings, { ...resilientRedisOptions(settings.REDIS_COMMAND_TIMEOUT), lazyConnect: true })
  logRedisOutages(redis, log)
  // The rejection says "Connection is closed." where the socket's first error says why (a
  // certificate that does not verify, a refused connection).
  let firstError: Error | undefined
  const keepFirstError = (error: Error): void => { firstError ??= error }
  redis.on('error', keepFirstError)
  try {
    await redis.connect()
  } catch (error) {
    redis.disconnect()
    const cause = isCluster(settings) ? await seedNodeError(settings) : firstError?.message
    const message = (error as Error).message
    const reason = cause === undefined || cause === message ? message : `${message} (${cause})`
    throw new Error(`Cannot reach ${redisLocation(settings)}: ${reason}`, { cause: error })
  } finally {
    redis.off('error', keepFirstError)
  }
  return redis
}
