import { Redis } from 'ioredis'
import t from 'tap'
import { RedisSessionStore } from '../../src/sessions/redis-session-store.js'
import { decodeRevokeAllSessionsBatchReply, revokeAllSessionsBatchCall } from '../../src/sessions/scripts/revoke-all-sessions-batch.js'
import { decodeTrimSessionsReply, trimSessionsCall } from '../../src/sessions/scripts/trim-sessions.js'
import { sessionKeys } from '../../src/sessions/session-keys.js'
import type { EndedSession, SessionRecord } from '../../src/sessions/session-store.js'
import { sharedRedisDatabaseUrl } from '../helpers/redis-server.js'

// The scripts that end several sessions of a user are given those sessions' keys by their caller,
// from an index read that may be a round trip old. What they do with a declared session that left
// the index meanwhile, and with an entry that came in and was not declared, is their contract.

const TTL_MS = 600_000
const FALLBACK_TTL_MS = 60_000

const redis = new Redis(await sharedRedisDatabaseUrl())
t.teardown(() => redis.disconnect())
const store = new RedisSessionStore(redis, { fallbackTombstoneTtlMs: FALLBACK_TTL_MS })
const keys = sessionKeys()
let nextUserId = 1

// A user with these sessions, logged in one millisecond apart in this order, and no cap. Session
// `x` is on device `device-x`; `deviceTypes` gives some of them a device type.
async function userWithSessions (sessionIds: string[], deviceTypes: Record<string, string> = {}): Promise<number> {
  const userId = nextUserId++
  const loginAt = Date.now()
  for (const [i, sessionId] of sessionIds.entries()) {
    const record: SessionRecord = {
      sessionId, userId, userType: 'user', account: `user-${userId}`, loginAt: loginAt + i, ip: '127.0.0.1', deviceId: `device-${sessionId}`, deviceType: deviceTypes[sessionId]
    }
    const created = await store.create(record, TTL_MS, await store.generation(userId), 0)
    if (!created.created) throw new Error('no session')
  }
  return userId
}

async function indexOf (userId: number): Promise<string[]> {
  return await redis.zrange(keys.index(userId), '0', '-1')
}

t.test('trim: a declared session that left the index since it was read is left alone', async (t) => {
  const userId = await userWithSessions(['a', 'b', 'c', 'd'])
  // A logout's ZREM, as if the session's key outlived it: the trim must not end it again.
  await redis.zrem(keys.index(userId), 'a')
  const call = trimSessionsCall({ indexKey: keys.index(userId) }, { maxSessions: 2, indexScanLimit: 3, fallbackTtlMs: FALLBACK_TTL_MS },
    keys.declared(userId, ['a', 'b', 'c']))
  const trim = decodeTrimSessionsReply(await redis.sessionTrim(...call))
  t.same(trim.evicted, [{ sessionId: 'b' }], 'the oldest declared session still in the index is evicted')
  t.equal(await redis.exists(keys.session(userId, 'a')), 1, 'the session no longer in the index is not touched')
  t.equal(await redis.exists(keys.tombstone(userId, 'a')), 0, 'and gets no tombstone')
  t.equal(await redis.get(keys.tombstone(userId, 'b')), 'evicted')
  t.same(await indexOf(userId), ['c', 'd'])
  t.same([trim.overCap, trim.nextIds], [0, []], 'within the cap: nothing left for a next call')
})

t.test('trim: an entry that was not declared stays, and the reply says what is left', async (t) => {
  const userId = await userWithSessions(['a', 'b', 'c', 'd', 'e'])
  // Idle expiry leaves an index entry without its session.
  await redis.del(keys.session(userId, 'b'))
  const call = trimSessionsCall({ indexKey: keys.index(userId) }, { maxSessions: 1, indexScanLimit: 2, fallbackTtlMs: FALLBACK_TTL_MS },
    keys.declared(userId, ['a', 'b']))
  const trim = decodeTrimSessionsReply(await redis.sessionTrim(...call))
  t.same(trim.evicted, [{ sessionId: 'a' }], 'only a declared live session is evicted')
  t.same(await indexOf(userId), ['c', 'd', 'e'], 'the dead entry is dropped, the entries not declared stay')
  t.equal(await redis.exists(keys.tombstone(userId, 'b')), 0, 'a session that ended on its own gets no tombstone')
  t.equal(trim.overCap, 2, 'two entries over the cap are left')
  t.same(trim.nextIds, ['c', 'd'], 'the next call is told which entries to declare')
})

t.test('trim: without a cap only the entries of ended sessions go', async (t) => {
  const userId = await userWithSessions(['a', 'b', 'c'])
  await redis.del(keys.session(userId, 'a'))
  const call = trimSessionsCall({ indexKey: keys.index(userId) }, { maxSessions: 0, indexScanLimit: 3, fallbackTtlMs: FALLBACK_TTL_MS },
    keys.declared(userId, ['a', 'b', 'c']))
  t.same(decodeTrimSessionsReply(await redis.sessionTrim(...call)), { overCap: 0, evicted: [], nextIds: [] })
  t.same(await indexOf(userId), ['b', 'c'])
})

// ZSCAN may return an entry twice (while the index is rehashed): the revoke-all must still name
// each session it ended once.
t.test('revoke-all batch: a session named again is not counted again', async (t) => {
  const userId = await userWithSessions(['a', 'b', 'c'])
  const batch = async (sessionIds: string[]): Promise<string[]> => decodeRevokeAllSessionsBatchReply(await redis.sessionRevokeAllBatch(...revokeAllSessionsBatchCall(
    { indexKey: keys.index(userId) }, { reason: 'logout_all', deviceId: '', fallbackTtlMs: FALLBACK_TTL_MS }, keys.declared(userId, sessionIds))))
    .map((ended) => ended.sessionId)
  t.same(await batch(['a', 'b']), ['a', 'b'])
  t.same(await batch(['b', 'c']), ['c'], 'b, named again, is not counted')
  t.same(await indexOf(userId), [], 'every entry is gone')
  t.same(await redis.mget(keys.tombstone(userId, 'a'), keys.tombstone(userId, 'b'), keys.tombstone(userId, 'c')),
    ['logout_all', 'logout_all', 'logout_all'])
})

t.test("revoke-all batch: with a device, only that device's sessions end", async (t) => {
  const userId = await userWithSessions(['a', 'b'])
  await redis.del(keys.session(userId, 'b'))
  const call = revokeAllSessionsBatchCall(
    { indexKey: keys.index(userId) }, { reason: 'admin', deviceId: 'device-a', fallbackTtlMs: FALLBACK_TTL_MS }, keys.declared(userId, ['a', 'b']))
  t.same(decodeRevokeAllSessionsBatchReply(await redis.sessionRevokeAllBatch(...call)), [{ sessionId: 'a' }])
  t.same(await indexOf(userId), [], "the device's entry and the entry of a session gone on its own are removed")
  const other = await userWithSessions(['a', 'b'])
  const otherCall = revokeAllSessionsBatchCall(
    { indexKey: keys.index(other) }, { reason: 'admin', deviceId: 'device-b', fallbackTtlMs: FALLBACK_TTL_MS }, keys.declared(other, ['a', 'b']))
  t.same(decodeRevokeAllSessionsBatchReply(await redis.sessionRevokeAllBatch(...otherCall)), [{ sessionId: 'b' }])
  t.same(await indexOf(other), ['a'], "another device's session stays, listed")
  t.equal(await redis.exists(keys.session(other, 'a')), 1)
})

// session.ended carries the ended session's device type: each script that ends sessions reads it
// from the hash in the step that deletes it, as nothing can read it after.
t.test('the scripts that end sessions tell each one\'s device type, none for a session without', async (t) => {
  const types = { a: 'phone', c: 'tv' }
  const revoked = await userWithSessions(['a', 'b'], types)
  t.same(await store.revoke(revoked, 'a', 'logout'), { sessionId: 'a', deviceType: 'phone' }, 'revoke: the phone')
  t.same(await store.revoke(revoked, 'b', 'logout'), { sessionId: 'b' }, 'revoke: a session without a type')
  t.equal(await store.revoke(revoked, 'b', 'logout'), undefined, 'revoke: none when it had ended already')

  const all = await userWithSessions(['a', 'b', 'c'], types)
  const ended: EndedSession[] = await store.revokeAll(all, 'banned')
  t.same([...ended].sort((x, y) => x.sessionId.localeCompare(y.sessionId)),
    [{ sessionId: 'a', deviceType: 'phone' }, { sessionId: 'b' }, { sessionId: 'c', deviceType: 'tv' }], 'revoke-all: each with its type')

  const capped = await userWithSessions(['c', 'b', 'a'], types)
  const call = trimSessionsCall({ indexKey: keys.index(capped) }, { maxSessions: 1, indexScanLimit: 3, fallbackTtlMs: FALLBACK_TTL_MS },
    keys.declared(capped, ['c', 'b']))
  t.same(decodeTrimSessionsReply(await redis.sessionTrim(...call)).evicted, [{ sessionId: 'c', deviceType: 'tv' }, { sessionId: 'b' }], 'trim: each evicted one with its type')
})
