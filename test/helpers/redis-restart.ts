import type { FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import type { RedisServer } from './redis-server.js'

const RECOVERY_LIMIT_MS = 15_000
const POLL_INTERVAL_MS = 100

// Kills (if still running) and starts the app's non-persistent redis-server: it comes back with
// no data at all, tombstones included. Returns once the app answers /ready again.
export async function restartRedisEmpty (t: Test, app: FastifyInstance, redisServer: RedisServer): Promise<void> {
  await redisServer.stop()
  await redisServer.restart()
  const deadline = Date.now() + RECOVERY_LIMIT_MS
  while ((await app.inject({ method: 'GET', url: '/ready' })).statusCode !== 200) {
    if (Date.now() > deadline) throw new Error('the app did not reconnect to Redis')
    await sleep(POLL_INTERVAL_MS)
  }
  t.equal(await app.redis.dbsize(), 0, 'Redis came back with no data at all')
}
