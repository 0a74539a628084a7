import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import type { TestContext } from '../../helpers/build-app.js'
import { sharedRedisDatabaseUrl } from '../../helpers/redis-server.js'

export interface ExampleRedis {
  redis: Redis
  // The example's own key prefix, unique per call, as the example takes PHONE_LOGIN_KEY_PREFIX.
  keyPrefix: string
}

// A connection for one case: REDIS_URL when given, else a database of the file's shared
// redis-server; either way under a key prefix of its own, whose keys (users never expire) are
// deleted at the case's end.
export async function exampleRedis (t: TestContext): Promise<ExampleRedis> {
  const given = process.env.REDIS_URL
  const redis = new Redis(given === undefined || given === '' ? await sharedRedisDatabaseUrl() : given)
  const keyPrefix = `phone-login-${randomBytes(6).toString('hex')}:`
  t.teardown(async () => {
    for await (const keys of redis.scanStream({ match: `${keyPrefix}*` }) as AsyncIterable<string[]>) {
      if (keys.length > 0) await redis.unlink(...keys)
    }
    await redis.quit()
  })
  return { redis, keyPrefix }
}
