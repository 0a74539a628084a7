import t from 'tap'
import { PhoneUsers } from '../../../examples/phone-code-login/src/phone-users.js'
import { exampleRedis } from './example-redis.js'

// The example's users against a real Redis: a phone's first sign-in creates its string id, and
// every later one, however many at once, finds the same.

// The auth server's string user ids.
const STRING_USER_ID = /^[A-Za-z0-9_-]{1,64}$/

t.test('a phone gets one string id, made at its first sign-in', async (t) => {
  const { redis, keyPrefix } = await exampleRedis(t)
  const users = new PhoneUsers(redis, keyPrefix)
  const id = await users.signInId('+4915112345678')
  t.match(id, /^usr_[A-Za-z0-9_-]{16}$/)
  t.match(id, STRING_USER_ID, 'an id the auth server takes')
  t.equal(await users.signInId('+4915112345678'), id, 'the same at the next sign-in')
  t.not(await users.signInId('+14155550123'), id, 'another phone, another user')
  t.equal(await redis.get(`${keyPrefix}user:+4915112345678`), id, 'kept under the service\'s own prefix')
})

t.test('first sign-ins of one phone at the same moment make one user', async (t) => {
  const { redis, keyPrefix } = await exampleRedis(t)
  const users = new PhoneUsers(redis, keyPrefix)
  const ids = await Promise.all(Array.from({ length: 10 }, async () => await users.signInId('+33612345678')))
  t.equal(new Set(ids).size, 1)
})
