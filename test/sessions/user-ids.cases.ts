import { randomBytes, randomInt, randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import t from 'tap'
import { sessionPolicyOf } from '../../src/config/session-policies.js'
import { RedisSessionStore } from '../../src/sessions/redis-session-store.js'
import { sessionKeys } from '../../src/sessions/session-keys.js'
import { SessionService } from '../../src/sessions/session-service.js'
import { isUserId, userIdKey, userIdOfKey, type UserId } from '../../src/users/user-id.js'
import { sharedRedisDatabaseUrl } from '../helpers/redis-server.js'
import { strategySettings } from '../helpers/strategy-settings.js'

// The session engine with user ids of both kinds against a real Redis: a string id (a UUID)
// lives exactly as an integer one does, and `123` and `"123"` are one user, with one index,
// each session keeping the kind it was started with.

const redis = new Redis(await sharedRedisDatabaseUrl())
t.teardown(() => redis.disconnect())
const keyPrefix = `user-ids-${randomBytes(4).toString('hex')}:`
const keys = sessionKeys(keyPrefix)
const store = new RedisSessionStore(redis, { keyPrefix, fallbackTombstoneTtlMs: 60_000 })
const sessions = new SessionService(store, sessionPolicyOf(strategySettings()))

async function start (userId: UserId, deviceId?: string): Promise<NonNullable<Awaited<ReturnType<SessionService['start']>>>> {
  const claims = await sessions.start({ userId, userType: 'user', account: `${userIdKey(userId)}@example.com`, deviceId, ip: '127.0.0.1' },
    await sessions.generation(userId))
  if (claims === undefined) throw new Error('the session did not start')
  return claims
}

t.test('which values are user ids, and what a key gives back', async (t) => {
  for (const id of [1, 2_147_483_647, 'a', '0', '123', '0123', '2147483648', randomUUID(), 'x'.repeat(64), 'A_z-9']) {
    t.ok(isUserId(id), `${JSON.stringify(id)} is one`)
  }
  for (const id of [0, -1, 2_147_483_648, 1.5, Number.NaN, '', 'a b', 'a.b', 'a}b', 'é', 'x'.repeat(65), null, undefined, true, [1], {}]) {
    t.notOk(isUserId(id), `${JSON.stringify(id) ?? String(id)} is not`)
  }
  t.strictSame([123, '123', 'abc', '0123', '2147483648', '2147483647'].map((id) => userIdOfKey(userIdKey(id))),
    [123, 123, 'abc', '0123', '2147483648', 2_147_483_647], 'digits this server would write as an integer read back as one')
})

t.test('a session of a UUID: start, authenticate, find, list, endAll', async (t) => {
  const userId = randomUUID()
  const claims = await start(userId, 'phone')
  t.equal(claims.userId, userId, 'the claims carry the string')
  t.equal(await redis.exists(keys.session(userId, claims.sid)), 1, `its key is ${keys.session(userId, claims.sid)}`)
  t.equal((await sessions.authenticate(claims)).user.userId, userId, 'authenticated as the string')
  t.equal((await sessions.find(userId, claims.sid))?.userId, userId, 'found with the string')
  t.strictSame((await sessions.list(userId)).map((record) => [record.userId, record.deviceId]), [[userId, 'phone']], 'listed')
  t.equal(await sessions.endAll(userId, 'revoked'), 1, 'endAll ends it')
  await t.rejects(sessions.authenticate(claims), { code: 'AUTH_1002', reason: 'revoked' }, 'and it is refused with its reason')
})

t.test('"123" and 123: one user, one index, each session the kind it was started with', async (t) => {
  const number = randomInt(1_000_000_000, 2_147_483_647)
  const digits = String(number)
  const asString = await start(digits, 'string')
  const asNumber = await start(number, 'number')
  t.strictSame([asString.userId, asNumber.userId], [digits, number], 'each claims the id it was started with')
  t.same((await redis.zrange(keys.index(number), '0', '-1')).sort(), [asString.sid, asNumber.sid].sort(),
    `one index, ${keys.index(number)}, holds both`)
  t.equal(keys.index(digits), keys.index(number), 'the string names the same keys')
  t.equal(await redis.hget(keys.session(number, asString.sid), 'k'), 'string', 'the string\'s session is marked as such')
  t.equal(await redis.hget(keys.session(number, asNumber.sid), 'k'), null, 'the number\'s session holds no more than before')

  t.equal((await sessions.authenticate(asString)).user.userId, digits, 'authenticated as the string')
  t.equal((await sessions.authenticate(asNumber)).user.userId, number, 'authenticated as the number')
  for (const asked of [number, digits]) {
    const listed = (await sessions.list(asked)).map((record) => [record.deviceId, record.userId]).sort()
    t.strictSame(listed, [['number', number], ['string', digits]], `list(${JSON.stringify(asked)}): both, each of its kind`)
    t.strictSame((await sessions.find(asked, asString.sid))?.userId, digits, `find(${JSON.stringify(asked)}) of the string's session: the string`)
  }
  t.equal(await sessions.endAll(digits, 'logout_all'), 2, 'endAll("123") ends both')
  await t.rejects(sessions.authenticate(asNumber), { code: 'AUTH_1002', reason: 'logout_all' }, 'the number\'s session is ended')
  await t.rejects(sessions.authenticate(asString), { code: 'AUTH_1002', reason: 'logout_all' }, 'the string\'s too')
})

t.test('"0123" and "2147483648" are strings, other users than 123 and any integer', async (t) => {
  const leadingZero = `0${randomInt(100_000, 999_999)}`
  const pastTheRange = String(2_147_483_648 + randomInt(1, 1_000_000))
  for (const userId of [leadingZero, pastTheRange]) {
    const claims = await start(userId)
    t.strictSame((await sessions.list(userId)).map((record) => record.userId), [userId], `${userId}: listed as the string`)
    t.equal(await redis.hget(keys.session(userId, claims.sid), 'k'), null, `${userId}: its key says it is a string, no mark needed`)
  }
  t.same(await sessions.list(Number(leadingZero)), [], `${Number(leadingZero)} is another user than "${leadingZero}"`)
})

// Its callers' code gives the ids, where no schema has checked them (app.sessions checks them too).
t.test('SessionService throws a TypeError for an id of neither kind', async (t) => {
  const keysBefore = (await redis.keys(`${keyPrefix}*`)).sort()
  for (const userId of ['a b', '', 'x'.repeat(65), 0, 1.5, 2_147_483_648]) {
    const named = JSON.stringify(userId)
    await t.rejects(sessions.start({ userId, userType: 'user', account: 'a@example.com', ip: '127.0.0.1' }, '0'),
      new TypeError(`a user id is an integer 1..2147483647 or a string of 1 to 64 characters A-Z a-z 0-9 _ -, not ${named}`), `start(${named})`)
    await t.rejects(sessions.endAll(userId, 'revoked'), TypeError, `endAll(${named})`)
    await t.rejects(sessions.end(userId, 'AAAAAAAAAAAAAAAAAAAAAA', 'revoked'), TypeError, `end(${named})`)
    await t.rejects(sessions.list(userId), TypeError, `list(${named})`)
    await t.rejects(sessions.find(userId, 'AAAAAAAAAAAAAAAAAAAAAA'), TypeError, `find(${named})`)
  }
  t.same((await redis.keys(`${keyPrefix}*`)).sort(), keysBefore, 'no key was written')
})
