import type { RedisClient } from '../../src/redis/redis-client.js'
import { SESSION_FIELDS } from '../../src/sessions/session-fields.js'

// "Last seen" as a session hash holds it, in ms since the epoch (null: not seen yet): ms after
// loginAt, or, in a session stored before that, a time of its own.
export async function storedLastSeenAt (redis: RedisClient, sessionKey: string): Promise<number | null> {
  const [loginAt, afterLogin, time] = await redis.hmget(sessionKey, SESSION_FIELDS.loginAt, SESSION_FIELDS.lastSeenAfterLogin, SESSION_FIELDS.lastSeenAt)
  if (afterLogin !== null) return Number(loginAt) + Number(afterLogin)
  return time === null ? null : Number(time)
}
