import type { RedisClient } from '../redis/redis-client.js'
import { callRedis } from '../redis/redis-failure.js'

// A TOTP secret handed out by POST /auth/2fa/totp/setup and not yet confirmed: nothing about the
// account changes until a code of it comes back. Kept sealed (DataCipher) in Redis under the
// user's hash tag, for a short while; a new setup replaces it.
export const PENDING_SETUP_TTL_MS = 10 * 60 * 1000

export class PendingTotpSetups {
  constructor (private readonly redis: RedisClient, private readonly keyPrefix = '') {}

  private key (userId: number): string {
    return `${this.keyPrefix}TOTP_SETUP:{${userId}}`
  }

  async put (userId: number, sealedSecret: string): Promise<void> {
    await callRedis(() => this.redis.set(this.key(userId), sealedSecret, 'PX', PENDING_SETUP_TTL_MS))
  }

  async find (userId: number): Promise<string | undefined> {
    return (await callRedis(() => this.redis.get(this.key(userId)))) ?? undefined
  }

  async remove (userId: number): Promise<void> {
    await callRedis(() => this.redis.del(this.key(userId)))
  }
}
