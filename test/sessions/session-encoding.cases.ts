import { Redis } from 'ioredis'
import t from 'tap'
import { loadConfig } from '../../src/config/load-config.js'
import { sessionPolicyOf } from '../../src/config/session-policies.js'
import { loginSessionStart, type LoginClient } from '../../src/sessions/login-session-start.js'
import { RedisSessionStore } from '../../src/sessions/redis-session-store.js'
import { deviceLabelOfCode } from '../../src/sessions/device-label-code.js'
import { SESSION_FIELDS } from '../../src/sessions/session-fields.js'
import { sessionKeys } from '../../src/sessions/session-keys.js'
import { SessionService } from '../../src/sessions/session-service.js'
import { TEST_JWT_SECRET } from '../helpers/build-app.js'
import { RedisServer } from '../helpers/redis-server.js'

// A session stays in Redis' compact encodings with Redis' default configuration (values of at
// most 64 bytes): a realistic browser login, with its whole User-Agent header, and an app's.
// One value past the limit turns the hash into a hashtable and about doubles its memory.

const CHROME_ON_MACOS = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) ' +
  'Chrome/131.0.0.0 Safari/537.36'
const LISTPACK_VALUE_LIMIT = 64

const redisServer = await RedisServer.start()
t.teardown(async () => await redisServer.destroy())
const redis = new Redis(redisServer.url)
t.teardown(() => redis.disconnect())
const keys = sessionKeys()
const sessions = new SessionService(
  new RedisSessionStore(redis, { fallbackTombstoneTtlMs: 60_000 }),
  sessionPolicyOf(loadConfig({ JWT_SECRET: TEST_JWT_SECRET }))
)
let nextUserId = 1

// A login as the server makes one, and one request with its token (which writes "last seen").
async function logInAndUse (client: LoginClient): Promise<{ sessionKey: string, indexKey: string, userId: number }> {
  const user = { id: nextUserId++, userType: 'user' as const, account: 'ada.lovelace@example.com' }
  const claims = await sessions.start(loginSessionStart(user, client), await sessions.generation(user.id))
  if (claims === undefined) throw new Error('no session')
  await sessions.authenticate(claims)
  return { sessionKey: keys.session(user.id, claims.sid), indexKey: keys.index(user.id), userId: user.id }
}

t.test('Redis runs with the default limit', async (t) => {
  t.same(await redis.config('GET', 'hash-max-listpack-value'), ['hash-max-listpack-value', String(LISTPACK_VALUE_LIMIT)])
})

t.test('a browser session and its index are listpacks', async (t) => {
  t.ok(CHROME_ON_MACOS.length > LISTPACK_VALUE_LIMIT, 'the header alone is over the limit')
  const { sessionKey, indexKey, userId } = await logInAndUse({ userAgent: CHROME_ON_MACOS, ip: '203.0.113.45' })
  t.equal(await redis.object('ENCODING', sessionKey), 'listpack')
  t.equal(await redis.object('ENCODING', indexKey), 'listpack')
  const hash = await redis.hgetall(sessionKey)
  t.equal(hash[SESSION_FIELDS.userAgent], undefined, 'the label is not stored as text')
  t.equal(deviceLabelOfCode(Number(hash[SESSION_FIELDS.deviceLabelCode])), 'Chrome 131 on macOS', 'but as the code of its text')
  t.ok(hash[SESSION_FIELDS.lastSeenAfterLogin], 'used, so "last seen" is there too')
  t.equal((await sessions.list(userId))[0]?.userAgent, 'Chrome 131 on macOS', 'and listed as the label')
})

t.test('an app session with a device id is a listpack', async (t) => {
  const { sessionKey } = await logInAndUse({
    userAgent: 'ExampleNotes/4.12.0 (iPhone; iOS 17.5; Scale/3.00)', ip: '2001:db8:85a3::8a2e:370:7334', deviceId: '0f8fad5b-d9cb-469f-a165-70867728950e'
  })
  t.equal(await redis.object('ENCODING', sessionKey), 'listpack')
  t.equal((await redis.hgetall(sessionKey))[SESSION_FIELDS.userAgent], 'ExampleNotes 4 on iOS', 'a label the table cannot spell is stored as text')
})

t.test('a long header no parser recognises is cut to the limit, and the session stays a listpack', async (t) => {
  const { sessionKey } = await logInAndUse({ userAgent: `an unknown client ${'é'.repeat(200)}`, ip: '203.0.113.45' })
  t.equal(await redis.object('ENCODING', sessionKey), 'listpack')
  const label = (await redis.hgetall(sessionKey))[SESSION_FIELDS.userAgent] ?? ''
  t.ok(Buffer.byteLength(label) <= LISTPACK_VALUE_LIMIT, `${Buffer.byteLength(label)} bytes`)
  t.match(label, /^an unknown client é+$/, 'cut between characters')
})
