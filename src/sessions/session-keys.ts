import { userIdKey, type UserId } from '../users/user-id.js'

// The Redis key layout, documented in docs/redis-keys.md. `{userId}` is a Redis Cluster hash tag:
// every key of one user lands in one slot, so one Lua script may touch several of them, each
// given to it in KEYS. The tag is the id's key form (userIdKey): `123` and `"123"` are one user.
export interface SessionKeys {
  session: (userId: UserId, sessionId: string) => string
  tombstone: (userId: UserId, sessionId: string) => string
  index: (userId: UserId) => string
  // Bumped by every revoke-all; a login may only create its session if it has not moved.
  generation: (userId: UserId) => string
  // The user's sessions of device types with a maxSessions rule (SESSION_DEVICE_RULES).
  devices: (userId: UserId) => string
  // Exists while the user is banned (see user-ban.ts); its TTL is the ban's end.
  ban: (userId: UserId) => string
  // What every session key starts with, whoever's it is.
  sessionPrefixAll: string
  // The keys of a script about one session.
  oneSession: (userId: UserId, sessionId: string) => OneSessionKeys
  // The sessions of these index entries, as a script about several of them declares them.
  declared: (userId: UserId, sessionIds: readonly string[]) => DeclaredSession[]
}

export interface OneSessionKeys {
  sessionKey: string
  indexKey: string
  tombstoneKey: string
}

// A session a script may end: its id goes in ARGV, its two keys in KEYS. Redis Cluster and strict
// proxies let a script touch only the keys it was given, so no script makes a key name from an
// id it read from the index: the caller names the keys.
export interface DeclaredSession {
  sessionId: string
  sessionKey: string
  tombstoneKey: string
}

export function sessionKeys (keyPrefix = ''): SessionKeys {
  const sessionPrefixAll = `${keyPrefix}ACCESS_TOKEN:`
  const sessionPrefix = (userId: UserId): string => `${sessionPrefixAll}{${userIdKey(userId)}}:`
  const tombstonePrefix = (userId: UserId): string => `${keyPrefix}ACCESS_TOKEN_REVOKED:{${userIdKey(userId)}}:`
  const session = (userId: UserId, sessionId: string): string => sessionPrefix(userId) + sessionId
  const tombstone = (userId: UserId, sessionId: string): string => tombstonePrefix(userId) + sessionId
  const index = (userId: UserId): string => `${keyPrefix}ACCESS_TOKEN_INDEX:{${userIdKey(userId)}}`
  return {
    session,
    tombstone,
    index,
    generation: (userId) => `${keyPrefix}ACCESS_TOKEN_GENERATION:{${userIdKey(userId)}}`,
    devices: (userId) => `${keyPrefix}ACCESS_TOKEN_DEVICES:{${userIdKey(userId)}}`,
    ban: (userId) => `${keyPrefix}ACCESS_TOKEN_BAN:{${userIdKey(userId)}}`,
    sessionPrefixAll,
    oneSession: (userId, sessionId) => ({
      sessionKey: session(userId, sessionId),
      indexKey: index(userId),
      tombstoneKey: tombstone(userId, sessionId)
    }),
    declared: (userId, sessionIds) => sessionIds.map((sessionId) => ({
      sessionId,
      sessionKey: session(userId, sessionId),
      tombstoneKey: tombstone(userId, sessionId)
    }))
  }
}
