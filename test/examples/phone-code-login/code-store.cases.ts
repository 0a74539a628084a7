import { createHash, randomBytes } from 'node:crypto'
import t, { type Test } from 'tap'
import { CODE_ATTEMPTS, CODE_TTL_SECONDS, CodeStore } from '../../../examples/phone-code-login/src/code-store.js'
import { TestClock } from '../../helpers/test-clock.js'
import { exampleRedis, type ExampleRedis } from './example-redis.js'

// The example's one-time codes against a real Redis: six digits, kept only as a keyed digest,
// three attempts, five minutes by the clock, a new code replacing the old one, good once.

const PHONE = '+4915112345678'
const OTHER_PHONE = '+14155550123'
const MS_PER_SECOND = 1000
const CODE_TTL_MS = CODE_TTL_SECONDS * MS_PER_SECOND

interface Store extends ExampleRedis {
  codes: CodeStore
  clock: TestClock
}

async function codeStore (t: Test, ttlSeconds?: number): Promise<Store> {
  const { redis, keyPrefix } = await exampleRedis(t)
  const clock = new TestClock()
  const codes = new CodeStore(redis, { keyPrefix, digestKey: randomBytes(32), clock: clock.now, ttlSeconds })
  return { redis, keyPrefix, codes, clock }
}

// A six-digit code that is not `code`.
function otherThan (code: string): string {
  return String((Number(code) + 1) % 1_000_000).padStart(6, '0')
}

t.test('a code is six digits, accepted once for its phone, and refused for another phone', async (t) => {
  const { codes } = await codeStore(t)
  const code = await codes.issue(PHONE)
  t.match(code, /^[0-9]{6}$/)
  const otherCode = await codes.issue(OTHER_PHONE)
  if (otherCode !== code) t.same(await codes.check(OTHER_PHONE, code), { accepted: false, attemptsLeft: CODE_ATTEMPTS - 1 }, 'not the other phone\'s code')
  t.same(await codes.check(PHONE, code), { accepted: true })
  t.same(await codes.check(PHONE, code), { accepted: false, attemptsLeft: 0 }, 'used up')
  t.same(await codes.check(OTHER_PHONE, otherCode), { accepted: true }, 'the other phone\'s own code still works')
})

t.test('codes are drawn at random: twenty in a row are not all alike', async (t) => {
  const { codes } = await codeStore(t)
  const drawn = new Set<string>()
  for (let i = 0; i < 20; i++) drawn.add(await codes.issue(PHONE))
  t.ok(drawn.size > 1, `${drawn.size} different codes`)
})

t.test('Redis holds a keyed digest of the code, never the code or its plain hash, and expires it', async (t) => {
  const { redis, keyPrefix, codes } = await codeStore(t)
  const code = await codes.issue(PHONE)
  const key = `${keyPrefix}code:${PHONE}`
  const stored = await redis.hgetall(key)
  t.same(Object.keys(stored).sort(), ['attemptsLeft', 'digest', 'expiresAt'])
  t.match(stored.digest, /^[0-9a-f]{64}$/, 'an HMAC-SHA256')
  t.notOk(Object.values(stored).some((value) => value.includes(code)), 'the code is nowhere')
  for (const plain of [code, `${PHONE}:${code}`]) {
    t.not(stored.digest, createHash('sha256').update(plain).digest('hex'), `not sha256(${plain})`)
  }
  const ttlMs = await redis.pttl(key)
  t.ok(ttlMs > 0 && ttlMs <= CODE_TTL_MS, `Redis clears it after the code's life (${ttlMs} ms)`)
})

t.test('wrong codes use the three attempts; a right one before they run out is accepted', async (t) => {
  const { codes } = await codeStore(t)
  const code = await codes.issue(PHONE)
  t.same(await codes.check(PHONE, otherThan(code)), { accepted: false, attemptsLeft: 2 })
  t.same(await codes.check(PHONE, otherThan(code)), { accepted: false, attemptsLeft: 1 })
  t.same(await codes.check(PHONE, code), { accepted: true }, 'the last attempt, right')
})

t.test('three wrong codes kill the code: the right one is refused after them', async (t) => {
  const { codes } = await codeStore(t)
  const code = await codes.issue(PHONE)
  for (let attempt = 1; attempt <= CODE_ATTEMPTS; attempt++) {
    t.same(await codes.check(PHONE, otherThan(code)), { accepted: false, attemptsLeft: CODE_ATTEMPTS - attempt })
  }
  t.same(await codes.check(PHONE, code), { accepted: false, attemptsLeft: 0 })
})

t.test('guesses sent at the same moment get three attempts between them, no more', async (t) => {
  const { codes } = await codeStore(t)
  const code = await codes.issue(PHONE)
  const guesses = 8
  const answers = await Promise.all(Array.from({ length: guesses }, async () => await codes.check(PHONE, otherThan(code))))
  const attemptsLeft = answers.map((answer) => answer.accepted ? -1 : answer.attemptsLeft).sort()
  t.same(attemptsLeft, [...Array<number>(guesses - CODE_ATTEMPTS).fill(0), 0, 1, 2], 'each attempt taken once')
  t.same(await codes.check(PHONE, code), { accepted: false, attemptsLeft: 0 }, 'and the code is dead')
})

t.test('two logins racing with the same right code: one is accepted', async (t) => {
  const { codes } = await codeStore(t)
  const code = await codes.issue(PHONE)
  const answers = await Promise.all([codes.check(PHONE, code), codes.check(PHONE, code)])
  t.equal(answers.filter((answer) => answer.accepted).length, 1)
})

t.test('a code lives five minutes by the clock', async (t) => {
  const { codes, clock } = await codeStore(t)
  const lastMoment = await codes.issue(PHONE)
  clock.advance(CODE_TTL_MS - 1)
  t.same(await codes.check(PHONE, lastMoment), { accepted: true }, 'accepted in its last millisecond')
  const expired = await codes.issue(PHONE)
  clock.advance(CODE_TTL_MS)
  t.same(await codes.check(PHONE, expired), { accepted: false, attemptsLeft: 0 }, 'refused at five minutes')
})

t.test('a shorter life when the service sets one', async (t) => {
  const { codes, clock } = await codeStore(t, 2)
  t.equal(codes.ttlSeconds, 2)
  const code = await codes.issue(PHONE)
  clock.advance(2 * MS_PER_SECOND)
  t.same(await codes.check(PHONE, code), { accepted: false, attemptsLeft: 0 })
})

t.test('a new code replaces the old one, with fresh attempts', async (t) => {
  const { codes } = await codeStore(t)
  const first = await codes.issue(PHONE)
  t.same(await codes.check(PHONE, otherThan(first)), { accepted: false, attemptsLeft: 2 })
  const second = await codes.issue(PHONE)
  if (first !== second) {
    t.same(await codes.check(PHONE, first), { accepted: false, attemptsLeft: CODE_ATTEMPTS - 1 }, 'the first code is wrong now, and the attempts are back to three')
  }
  t.same(await codes.check(PHONE, second), { accepted: true })
})

t.test('no code sent: refused', async (t) => {
  const { codes } = await codeStore(t)
  t.same(await codes.check(PHONE, '123456'), { accepted: false, attemptsLeft: 0 })
})
