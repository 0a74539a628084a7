import { Redis } from 'ioredis'
import { loadConfig } from '../src/config/load-config.js'
import { sessionPolicyOf } from '../src/config/session-policies.js'
import { loginSessionStart } from '../src/sessions/login-session-start.js'
import { RedisSessionStore } from '../src/sessions/redis-session-store.js'
import { sessionKeys } from '../src/sessions/session-keys.js'
import { SessionService } from '../src/sessions/session-service.js'
import type { SessionClaims } from '../src/tokens/session-claims.js'
import { settledUsedMemory } from './redis-stats.js'
import { EXPRESS_SESSION_KEY_PREFIX, FASTIFY_SESSION_KEY_PREFIX, NAIVE_KEY_PREFIX } from './reference/reference-env.js'
import { SESSIONS_PER_USER, SESSION_TTL_MS, realisticLogin, type ClientKind, type RealisticLogin } from './session-records.js'

// Redis memory per session, two ways. `used_memory` before and after creating sessions
// through the real store is the honest figure: it includes Redis' own bookkeeping (the key
// and expiry dictionaries, allocator rounding). MEMORY USAGE of the keys is the figure one
// can check on a single key, without that bookkeeping.

// One library's session record, as MEMORY USAGE measures it.
export interface LibraryMemory {
  label: string
  keys: number
  bytesPerSession: number
}

export interface SessionMemory {
  sessions: number
  usedMemoryPerSession: number
  sessionKeyBytes: number
  indexBytesPerSession: number
  // How Redis stores the session hash (listpack is the compact one) and why.
  sessionEncoding: string
  indexEncoding: string
  longestValueBytes: number
  listpackValueLimit: number
  // What the session list shows of the device.
  deviceLabel: string
}

export interface SessionMemoryVariants {
  // Signed in through the web page: a browser's whole User-Agent header, no device id.
  browser: SessionMemory
  // Signed in by an app: its own User-Agent header and a device id (a UUID).
  app: SessionMemory
}

// Logged in this many at a time: enough to keep Redis busy, few enough to keep replies small.
const LOGIN_CONCURRENCY = 200
const FIRST_USER_ID = 1
const GENERATION_NEVER_BUMPED = '0'
// The server's default settings, which decide the sessions' TTL and the per-user cap.
const DEFAULT_POLICY = sessionPolicyOf(loadConfig({ JWT_SECRET: 'a bench secret that no token is signed with' }))

async function sumMemoryUsage (admin: Redis, keys: string[]): Promise<number> {
  const pipeline = admin.pipeline()
  for (const key of keys) pipeline.memory('USAGE', key, 'SAMPLES', 0)
  return (await pipeline.exec() ?? []).reduce((sum, [, bytes]) => sum + Number(bytes), 0)
}

// Each login as the server makes it (loginSessionStart: the device label; SessionService.start:
// the store's script), then one request with its token, which writes "last seen".
async function logInAndUse (sessions: SessionService, login: RealisticLogin): Promise<SessionClaims> {
  const claims = await sessions.start(loginSessionStart(login.user, login.client), GENERATION_NEVER_BUMPED, login.loginAt)
  if (claims === undefined) throw new Error('session not created')
  await sessions.authenticate(claims, login.lastSeenAt)
  return claims
}

async function logInAll (sessions: SessionService, logins: RealisticLogin[]): Promise<SessionClaims[]> {
  const claims: SessionClaims[] = []
  for (let start = 0; start < logins.length; start += LOGIN_CONCURRENCY) {
    claims.push(...await Promise.all(logins.slice(start, start + LOGIN_CONCURRENCY).map(async (login) => await logInAndUse(sessions, login))))
  }
  return claims
}

async function measure (redis: Redis, admin: Redis, logins: RealisticLogin[]): Promise<SessionMemory> {
  const store = new RedisSessionStore(redis, { fallbackTombstoneTtlMs: SESSION_TTL_MS })
  const sessions = new SessionService(store, DEFAULT_POLICY)
  const keys = sessionKeys()
  // A first round, then emptied: what Redis spends once, not per session (the scripts it caches,
  // the connection's grown buffers), is then outside the figure.
  await logInAll(sessions, logins.slice(0, LOGIN_CONCURRENCY))
  await admin.flushall()
  const before = await settledUsedMemory(admin)
  const allClaims = await logInAll(sessions, logins)
  const sessionKeyList = allClaims.map((claims) => keys.session(claims.userId, claims.sid))
  const after = await settledUsedMemory(admin)
  const count = logins.length
  const users = [...new Set(logins.map((login) => login.user.id))]
  const [firstKey] = sessionKeyList
  const [firstUser] = users
  const [firstClaims] = allClaims
  const firstHash = firstKey === undefined ? {} : await admin.hgetall(firstKey)
  const firstRecord = firstClaims === undefined ? undefined : await store.find(firstClaims.userId, firstClaims.sid)
  const listpackValueLimit = await admin.config('GET', 'hash-max-listpack-value') as string[]
  return {
    sessions: count,
    usedMemoryPerSession: (after - before) / count,
    sessionKeyBytes: await sumMemoryUsage(admin, sessionKeyList) / count,
    indexBytesPerSession: await sumMemoryUsage(admin, users.map((userId) => keys.index(userId))) / count,
    sessionEncoding: firstKey === undefined ? 'none' : String(await admin.object('ENCODING', firstKey)),
    indexEncoding: firstUser === undefined ? 'none' : String(await admin.object('ENCODING', keys.index(firstUser))),
    longestValueBytes: Math.max(...Object.values(firstHash).map((value) => Buffer.byteLength(value))),
    listpackValueLimit: Number(listpackValueLimit[1]),
    deviceLabel: firstRecord?.userAgent ?? ''
  }
}

// Expects an empty Redis with the default configuration; leaves it empty.
export async function measureSessionMemory (redisUrl: string, admin: Redis, count: number): Promise<SessionMemoryVariants> {
  const redis = new Redis(redisUrl)
  try {
    await redis.ping()
    const now = Date.now()
    const loginsOf = (kind: ClientKind): RealisticLogin[] =>
      Array.from({ length: count }, (_, n) => realisticLogin(kind, FIRST_USER_ID + Math.floor(n / SESSIONS_PER_USER), now))
    const browser = await measure(redis, admin, loginsOf('browser'))
    await admin.flushall()
    const app = await measure(redis, admin, loginsOf('app'))
    await admin.flushall()
    return { browser, app }
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
