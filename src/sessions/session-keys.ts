// The Redis key layout, documented in docs/redis-keys.md. `{userId}` is a Redis Cluster hash tag:
// every key of one user lands in one slot, so one Lua script may touch several of them, each
// given to it in KEYS.
export interface SessionKeys {
  session: (userId: number, sessionId: string) => string
  tombstone: (userId: number, sessionId: string) => string
  index: (userId: number) => string
  // Bumped by every revoke-all; a login may only create its session if it has not moved.
  generation: (userId: number) => string
  // What every session key starts with, whoever's it is.
  sessionPrefixAll: string
  // The keys of a script about one session.
  oneSession: (userId: number, sessionId: string) => OneSessionKeys
  // The sessions of these index entries, as a script about several of them declares them.
  declared: (userId: number, sessionIds: readonly string[]) => DeclaredSession[]
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
  const sessionPrefix = (userId: number): string => `${sessionPrefixAll}{${userId}}:`
  const tombstonePrefix = (userId: number): string => `${keyPrefix}ACCESS_TOKEN_REVOKED:{${userId}}:`
  const session = (userId: number, sessionId: string): string => sessionPrefix(userId) + sessionId
  const tombstone = (userId: number, sessionId: string): string => tombstonePrefix(userId) + sessionId
  const index = (userId: number): string => `${keyPrefix}ACCESS_TOKEN_INDEX:{${userId}}`
  return {
    session,
    tombstone,
    index,
    generation: (userId) => `${keyPrefix}ACCESS_TOKEN_GENERATION:{${userId}}`,
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
