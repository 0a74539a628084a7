import { createHash } from 'node:crypto'
import { userIdKey, userIdOfKey, type UserId } from '../users/user-id.js'

// The second key of a per-user PostgreSQL advisory lock (`pg_advisory_xact_lock(class, key)`),
// an int4. An integer id is its own key, as it has always been, so an instance of an earlier
// release locks the same user alike; a string id takes 31 bits of its SHA-256 digest. Two users
// sharing a key only wait for each other now and then: the lock orders work, it decides nothing.
export function userLockKey (userId: UserId): number {
  const id = userIdOfKey(userIdKey(userId))
  if (typeof id === 'number') return id
  return createHash('sha256').update(id).digest().readUInt32BE(0) >>> 1
}
