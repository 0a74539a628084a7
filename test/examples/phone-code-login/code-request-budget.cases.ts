import t, { type Test } from 'tap'
import { CODE_WINDOW_SECONDS, CODES_PER_WINDOW, CodeRequestBudget } from '../../../examples/phone-code-login/src/code-request-budget.js'
import { TestClock } from '../../helpers/test-clock.js'
import { exampleRedis } from './example-redis.js'

// The example's budget of codes per phone against a real Redis: five per fixed window of fifteen
// minutes, the window judged by the clock the test moves.

const PHONE = '+4915112345678'
const OTHER_PHONE = '+14155550123'
const MS_PER_SECOND = 1000
const WINDOW_MS = CODE_WINDOW_SECONDS * MS_PER_SECOND

async function budgetAtWindowStart (t: Test): Promise<{ budget: CodeRequestBudget, clock: TestClock }> {
  const { redis, keyPrefix } = await exampleRedis(t)
  const clock = new TestClock(Math.ceil(Date.now() / WINDOW_MS) * WINDOW_MS)
  return { budget: new CodeRequestBudget(redis, { keyPrefix, clock: clock.now }), clock }
}

t.test('five codes per phone in a window; the sixth is refused until the window ends', async (t) => {
  const { budget, clock } = await budgetAtWindowStart(t)
  for (let i = 0; i < CODES_PER_WINDOW; i++) t.same(await budget.take(PHONE), { allowed: true })
  t.same(await budget.take(PHONE), { allowed: false, retryAfterSeconds: CODE_WINDOW_SECONDS }, 'refused, for the whole window')
  t.same(await budget.take(OTHER_PHONE), { allowed: true }, 'another phone has its own budget')
  clock.advance(WINDOW_MS - MS_PER_SECOND / 2)
  t.same(await budget.take(PHONE), { allowed: false, retryAfterSeconds: 1 }, 'half a second before the end: retry in 1 s')
  clock.advance(MS_PER_SECOND / 2)
  t.same(await budget.take(PHONE), { allowed: true }, 'the next window')
})
