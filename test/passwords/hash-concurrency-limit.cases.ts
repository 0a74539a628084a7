import t, { type Test } from 'tap'
import { apiErrorCodeOf, type PasswordHashingBusy } from '../../src/errors/api-errors.js'
import { availableParallelism } from 'node:os'
import { BUSY_RETRY_AFTER_SECONDS, defaultHashConcurrency, HashConcurrencyLimit } from '../../src/passwords/hash-concurrency-limit.js'

const CONCURRENCY = 2
const QUEUE_LENGTH = 3

// A stand-in for one argon2 computation that finishes when the test says so.
interface ControlledHash {
  started: boolean
  finish: (value: string) => void
  fail: (error: Error) => void
  outcome: Promise<string>
}

// The hashes one limiter was given, and how many of them ran at once at most.
class Submissions {
  readonly runs: ControlledHash[] = []
  running = 0
  peak = 0

  constructor (private readonly limit: HashConcurrencyLimit) {}

  submit (): ControlledHash {
    let finish: (value: string) => void = () => undefined
    let fail: (error: Error) => void = () => undefined
    const work = new Promise<string>((resolve, reject) => {
      finish = resolve
      fail = reject
    })
    const hash: ControlledHash = { started: false, finish, fail, outcome: Promise.resolve('') }
    hash.outcome = this.limit.run(async () => {
      hash.started = true
      this.running++
      this.peak = Math.max(this.peak, this.running)
      try {
        return await work
      } finally {
        this.running--
      }
    })
    // Rejections are asserted where they matter; none may go unhandled meanwhile.
    hash.outcome.catch(() => undefined)
    this.runs.push(hash)
    return hash
  }

  started (): boolean[] {
    return this.runs.map((run) => run.started)
  }
}

// Lets the limiter's own promise callbacks run.
async function settle (): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve))
}

// The error `outcome` was rejected with by the time the limiter's callbacks have run, if any.
async function promptRejection (outcome: Promise<string>): Promise<unknown> {
  const pending = Symbol('pending')
  return await Promise.race([
    outcome.then(() => undefined, (error: unknown) => error),
    settle().then(() => pending)
  ])
}

async function assertBusy (t: Test, outcome: Promise<string>, what: string): Promise<void> {
  const error = await promptRejection(outcome)
  t.type(error, Error, `${what}: refused at once`)
  if (!(error instanceof Error)) return
  const busy = error as PasswordHashingBusy
  t.equal(apiErrorCodeOf(busy), '1503', `${what}: errorCode 1503`)
  t.equal(busy.statusCode, 503, `${what}: status 503`)
  t.equal(busy.retryAfterSeconds, BUSY_RETRY_AFTER_SECONDS, `${what}: retry after ${BUSY_RETRY_AFTER_SECONDS} s`)
}

t.test('runs at most `concurrency` hashes at once, the next ones in order of arrival', async (t) => {
  const hashes = new Submissions(new HashConcurrencyLimit({ concurrency: CONCURRENCY, queueLength: QUEUE_LENGTH }))
  const runs = Array.from({ length: CONCURRENCY + QUEUE_LENGTH }, () => hashes.submit())
  await settle()
  t.strictSame(hashes.started(), [true, true, false, false, false], `only ${CONCURRENCY} started`)

  runs[1]?.finish('second')
  t.equal(await runs[1]?.outcome, 'second', 'a finished hash gives its result')
  await settle()
  t.strictSame(hashes.started(), [true, true, true, false, false], 'its slot went to the first in the queue')
  runs[0]?.finish('first')
  await settle()
  t.strictSame(hashes.started(), [true, true, true, true, false], 'the next freed slot went to the next in the queue')

  for (const [i, run] of runs.entries()) {
    run.finish(`hash ${i}`)
    await settle()
  }
  t.strictSame(hashes.started(), [true, true, true, true, true], 'every queued hash ran in the end')
  t.equal(hashes.peak, CONCURRENCY, `never more than ${CONCURRENCY} ran at once`)
  t.strictSame(await Promise.all(runs.map(async (run) => await run.outcome)), ['first', 'second', 'hash 2', 'hash 3', 'hash 4'])
})

t.test('refuses at once, with a retry-after, when the slots and the queue are full', async (t) => {
  const hashes = new Submissions(new HashConcurrencyLimit({ concurrency: CONCURRENCY, queueLength: QUEUE_LENGTH }))
  const runs = Array.from({ length: CONCURRENCY + QUEUE_LENGTH }, () => hashes.submit())
  const refused = hashes.submit()
  await assertBusy(t, refused.outcome, 'the hash past the queue')
  t.notOk(refused.started, 'the refused hash never ran')
  t.strictSame(hashes.started(), [true, true, false, false, false, false], 'the others are untouched')

  runs[0]?.finish('done')
  await runs[0]?.outcome
  await settle()
  const admitted = hashes.submit()
  await settle()
  t.notOk(admitted.started, 'a hash arriving once the queue has room waits in it')
  await assertBusy(t, hashes.submit().outcome, 'the next one, with the queue full again')

  for (const run of hashes.runs) run.finish('done')
  t.equal(await admitted.outcome, 'done', 'the admitted one ran in the end')
  t.equal(hashes.peak, CONCURRENCY, `never more than ${CONCURRENCY} ran at once`)
})

t.test('a failed hash frees its slot, and its error reaches the caller', async (t) => {
  const hashes = new Submissions(new HashConcurrencyLimit({ concurrency: 1, queueLength: 1 }))
  const failing = hashes.submit()
  const queued = hashes.submit()
  await settle()
  failing.fail(new Error('argon2 failed'))
  await t.rejects(failing.outcome, { message: 'argon2 failed' }, 'the error is the caller\'s')
  await settle()
  t.ok(queued.started, 'the queued hash got the slot')
  queued.finish('after the failure')
  t.equal(await queued.outcome, 'after the failure')

  // With nothing left running, the whole capacity is there again: one slot, one queue place.
  const again = [hashes.submit(), hashes.submit()]
  await settle()
  t.strictSame(again.map((run) => run.started), [true, false], 'one runs, one waits')
  await assertBusy(t, hashes.submit().outcome, 'one past the slot and the queue')
  for (const run of again) run.finish('ok')
  t.strictSame(await Promise.all(again.map(async (run) => await run.outcome)), ['ok', 'ok'])
})

t.test('a hash that throws before awaiting anything frees its slot too', async (t) => {
  const limit = new HashConcurrencyLimit({ concurrency: 1, queueLength: 0 })
  await t.rejects(limit.run(async () => { throw new Error('bad input') }), { message: 'bad input' })
  t.equal(await limit.run(async () => 'next'), 'next', 'the slot is free again')
})

t.test('settings are checked up front', async (t) => {
  t.throws(() => new HashConcurrencyLimit({ concurrency: 0, queueLength: 4 }), /concurrency must be a positive integer/)
  t.throws(() => new HashConcurrencyLimit({ concurrency: 1.5, queueLength: 4 }), /concurrency must be a positive integer/)
  t.throws(() => new HashConcurrencyLimit({ concurrency: 1, queueLength: -1 }), /queueLength must be a non-negative integer/)
})

t.test('by default, one hash at once per core the process may use', async (t) => {
  t.equal(defaultHashConcurrency(), availableParallelism())
})
