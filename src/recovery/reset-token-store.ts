import type { RedisClient } from '../redis/redis-client.js'
import { callRedis } from '../redis/redis-failure.js'
import { isIntegerUserId } from '../users/user-id.js'
import { newResetToken, resetTokenDigest } from './reset-token.js'

// The password-reset tokens in Redis (docs/redis-keys.md), by their SHA-256 digest only:
//   PASSWORD_RESET:<digest>            → the user id, for PASSWORD_RESET_TTL
//   PASSWORD_RESET_USER:{<userId>}     → the digest of the user's live token, as long
// Every command touches one key, so the keys may lie in any cluster slots. GETDEL makes a token
// single use: of two concurrent resets with one token, exactly one reads the user id.
const MS_PER_SECOND = 1000

export interface ResetTokenKeys {
  token: (digest: string) => string
  userPointer: (userId: number) => string
}

export function resetTokenKeys (keyPrefix = ''): ResetTokenKeys {
  return {
    token: (digest) => `${keyPrefix}PASSWORD_RESET:${digest}`,
    userPointer: (userId) => `${keyPrefix}PASSWORD_RESET_USER:{${userId}}`
  }
}

export interface IssuedResetToken {
  token: string
  // Milliseconds since the epoch.
  expiresAt: number
}

export class ResetTokenStore {
  private readonly keys: ResetTokenKeys

  constructor (private readonly redis: RedisClient, private readonly ttlSeconds: number, keyPrefix = '') {
    this.keys = resetTokenKeys(keyPrefix)
  }

  // A new token for the user; the one it replaces (a live token of an earlier request) stops
  // working. The token is stored before the pointer is swapped with SET … GET, so the swap that
  // hands a token back always finds it stored: of two concurrent requests each deletes the token
  // the other's swap handed it, and one token is left live (on a cluster too, where the keys
  // lie on different nodes and commands sent together may land in any order).
  async issue (userId: number, nowMs: number): Promise<IssuedResetToken> {
    const token = newResetToken()
    const digest = resetTokenDigest(token)
    await callRedis(async () => await this.redis.set(this.keys.token(digest), String(userId), 'EX', this.ttlSeconds))
    const replaced = await callRedis(async () => await this.redis.set(this.keys.userPointer(userId), digest, 'EX', this.ttlSeconds, 'GET'))
    // Always a third round trip (a key that never existed when nothing was replaced), so the
    // answer's time does not tell whether the account had a live token.
    await callRedis(async () => await this.redis.del(this.keys.token(replaced ?? resetTokenDigest(newResetToken()))))
    return { token, expiresAt: nowMs + this.ttlSeconds * MS_PER_SECOND }
  }

  // What issue costs, for an account that does not exist: the same three round trips, each on
  // one key of the same kinds, writing nothing.
  async rehearseIssue (): Promise<void> {
    await callRedis(async () => await this.redis.exists(this.keys.token(resetTokenDigest(newResetToken()))))
    await callRedis(async () => await this.redis.get(this.keys.userPointer(0)))
    await callRedis(async () => await this.redis.del(this.keys.token(resetTokenDigest(newResetToken()))))
  }

  // The user the token was issued to, while it is live; undefined for a token that is unknown,
  // used or expired. The token stays live.
  async find (token: string): Promise<number | undefined> {
    return userIdOf(await callRedis(async () => await this.redis.get(this.keys.token(resetTokenDigest(token)))))
  }

  // The user the token was issued to, once: the token is gone after this call.
  async consume (token: string): Promise<number | undefined> {
    return userIdOf(await callRedis(async () => await this.redis.getdel(this.keys.token(resetTokenDigest(token)))))
  }
}

// Only this server's users get tokens: the stored id is always a positive integer.
function userIdOf (stored: string | null): number | undefined {
  if (stored === null) return undefined
  const userId = Number(stored)
  return isIntegerUserId(userId) ? userId : undefined
}
