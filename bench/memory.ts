import { Redis } from 'ioredis'
import { RedisSessionStore } from '../src/sessions/redis-session-store.js'
import { sessionKeys } from '../src/sessions/session-keys.js'
import { usedMemory } from './redis-stats.js'
import { EXPRESS_SESSION_KEY_PREFIX, FASTIFY_SESSION_KEY_PREFIX, NAIVE_KEY_PREFIX } from './reference/reference-env.js'
import type { LibraryMemory } from './results.js'
import { SESSIONS_PER_USER, SESSION_TTL_MS, realisticSession, type RealisticSession } from './session-records.js'

// Redis memory per session, two ways. `used_memory` before and after creating sessions
// through the real store is the honest figure: it includes Redis' own bookkeeping (the key
// and expiry dictionaries, allocator rounding). MEMORY USAGE of the keys is the figure one
// can check on a single key, without that bookkeeping.

export interface SessionMemory {
  sessions: number
  usedMemoryPerSession: number
  sessionKeyBytes: number
  indexBytesPerSession: number
  // How Redis stores the session hash (listpack is the compact one) and why.
  sessionEncoding: string
  longestFieldBytes: number
  listpackValueLimit: number
}

export interface SessionMemoryVariants {
  realistic: SessionMemory
  // The same sessions with the user agent cut to Redis' listpack value limit.
  shortUserAgent: SessionMemory
}

// Created this many at a time: enough to keep Redis busy, few enough to keep replies small.
const CREATE_CONCURRENCY = 200
const FIRST_USER_ID = 1
const GENERATION_NEVER_BUMPED = '0'

// Every session of the sample is kept, however many one user holds.
const NO_SESSION_CAP = 0

async function sumMemoryUsage (admin: Redis, keys: string[]): Promise<number> {
  const pipeline = admin.pipeline()
  for (const key of keys) pipeline.memory('USAGE', key, 'SAMPLES', 0)
  return (await pipeline.exec() ?? []).reduce((sum, [, bytes]) => sum + Number(bytes), 0)
}

async function measure (redis: Redis, admin: Redis, sessions: RealisticSession[]): Promise<SessionMemory> {
  const store = new RedisSessionStore(redis, { fallbackTombstoneTtlMs: SESSION_TTL_MS })
  const keys = sessionKeys()
  const sessionKeyOf = (session: RealisticSession): string => keys.session(session.userId, session.sessionId)
  const before = await usedMemory(admin)
  for (let start = 0; start < sessions.length; start += CREATE_CONCURRENCY) {
    await Promise.all(sessions.slice(start, start + CREATE_CONCURRENCY).map(async (session) => {
      if (!(await store.create(session, SESSION_TTL_MS, GENERATION_NEVER_BUMPED, NO_SESSION_CAP)).created) throw new Error('session not created')
      // A used session also has "last seen"; the store writes it on a later request.
      await redis.hset(sessionKeyOf(session), 'lastSeenAt', String(session.lastSeenAt))
    }))
  }
  const after = await usedMemory(admin)
  const count = sessions.length
  const users = [...new Set(sessions.map((session) => session.userId))]
  const [first] = sessions
  const listpackValueLimit = await admin.config('GET', 'hash-max-listpack-value') as string[]
  return {
    sessions: count,
    usedMemoryPerSession: (after - before) / count,
    sessionKeyBytes: await sumMemoryUsage(admin, sessions.map(sessionKeyOf)) / count,
    indexBytesPerSession: await sumMemoryUsage(admin, users.map((userId) => keys.index(userId))) / count,
    sessionEncoding: first === undefined ? 'none' : String(await admin.object('ENCODING', sessionKeyOf(first))),
    longestFieldBytes: Math.max(...sessions.map((session) => Math.max(...Object.values(session).map((value) => String(value).length)))),
    listpackValueLimit: Number(listpackValueLimit[1])
  }
}

// Expects an empty Redis; leaves it empty.
export async function measureSessionMemory (redisUrl: string, admin: Redis, count: number): Promise<SessionMemoryVariants> {
  const redis = new Redis(redisUrl)
  try {
    await redis.ping()
    const now = Date.now()
    const sessions = Array.from({ length: count }, (_, n) => realisticSession(FIRST_USER_ID + Math.floor(n / SESSIONS_PER_USER), now))
    const realistic = await measure(redis, admin, sessions)
    await admin.flushall()
    const shortUserAgent = await measure(redis, admin, sessions.map((session) => ({
      ...session, userAgent: session.userAgent?.slice(0, realistic.listpackValueLimit)
    })))
    await admin.flushall()
    return { realistic, shortUserAgent }
  } finally {
    redis.disconnect()
  }
}

// Average MEMORY USAGE of the keys matching `pattern`.
async function averageKeyBytes (admin: Redis, pattern: string): Promise<{ keys: number, bytes: number }> {
  let keys = 0
  let bytes = 0
  let cursor = '0'
  do {
    const [next, found] = await admin.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
    cursor = next
    keys += found.length
    bytes += await sumMemoryUsage(admin, found)
  } while (cursor !== '0')
  return { keys, bytes: keys === 0 ? Number.NaN : bytes / keys }
}

// What each design's session records take, from the sessions the throughput runs used.
export async function sessionRecordSizes (admin: Redis, ourKeyPrefix: string): Promise<LibraryMemory[]> {
  const patterns = [
    ['ours, sliding (hash only)', `${ourKeyPrefix}ACCESS_TOKEN:*`],
    ['naive: JWT + EXISTS + EXPIRE', `${NAIVE_KEY_PREFIX}*`],
    ['@fastify/session + connect-redis', `${FASTIFY_SESSION_KEY_PREFIX}*`],
    ['express-session + connect-redis', `${EXPRESS_SESSION_KEY_PREFIX}*`]
  ] as const
  const sizes: LibraryMemory[] = []
  for (const [label, pattern] of patterns) {
    const { keys, bytes } = await averageKeyBytes(admin, pattern)
    sizes.push({ label, keys, bytesPerSession: bytes })
  }
  return sizes
}
