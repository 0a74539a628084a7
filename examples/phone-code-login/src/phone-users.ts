import { randomBytes } from 'node:crypto'
import type { Redis } from 'ioredis'

// This service's own users: a phone number (E.164) and the string id its sessions carry. A
// phone's first sign-in creates its user; nothing else is kept about them here.

// 96 random bits, in base64url: the id matches the auth server's ^[A-Za-z0-9_-]{1,64}$.
const USER_ID_PREFIX = 'usr_'
const USER_ID_RANDOM_BYTES = 12

export class PhoneUsers {
  private readonly redis: Redis
  private readonly keyPrefix: string

  /** Keys: `<keyPrefix>user:<phone>`, holding the user's id. */
  constructor (redis: Redis, keyPrefix: string) {
    this.redis = redis
    this.keyPrefix = keyPrefix
  }

  /** The id of the user signing in with `phone`, created at its first sign-in. */
  async signInId (phone: string): Promise<string> {
    const key = `${this.keyPrefix}user:${phone}`
    const newId = `${USER_ID_PREFIX}${randomBytes(USER_ID_RANDOM_BYTES).toString('base64url')}`
    // Set only if absent, so two first sign-ins at the same moment end up with one user.
    if (await this.redis.set(key, newId, 'NX') === 'OK') return newId
    const existing = await this.redis.get(key)
    if (existing === null) throw new Error(`The user of ${phone} disappeared while signing in`)
    return existing
  }
}
