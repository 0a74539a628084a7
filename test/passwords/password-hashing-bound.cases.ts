import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { QUEUED_HASHES_PER_SLOT } from '../../src/passwords/bounded-password-hasher.js'
import { BUSY_RETRY_AFTER_SECONDS } from '../../src/passwords/hash-concurrency-limit.js'
import { buildTestApp } from '../helpers/build-app.js'
import { LogCollector } from '../helpers/log-collector.js'
import { createUser, TEST_PASSWORD, uniqueAccount } from '../helpers/sessions.js'

// One slot: the bound is reached by far fewer requests than BURST, however fast the machine.
const HASH_CONCURRENCY = 1
const BURST = 30
const PINO_ERROR_LEVEL = 50
const PINO_WARN_LEVEL = 40

interface ErrorBody {
  code: number
  errorCode: string
  info: string
}

interface LogLine {
  level: number
  msg?: string
  err?: { code?: string, stack?: string }
}

async function attemptLogin (app: FastifyInstance, account: string, password: string, ip: string): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'POST', url: '/auth/login', payload: { account, password }, remoteAddress: ip })
}

function statusesOf (answers: LightMyRequestResponse[]): string {
  const counts = new Map<number, number>()
  for (const res of answers) counts.set(res.statusCode, (counts.get(res.statusCode) ?? 0) + 1)
  return [...counts].map(([status, count]) => `${count} × ${status}`).join(', ')
}

// Some of the burst were answered `servedStatus`, the rest 503 "1503" with Retry-After.
function assertBusyOrServed (t: Test, answers: LightMyRequestResponse[], servedStatus: number, what: string): void {
  const served = answers.filter((res) => res.statusCode === servedStatus)
  const busy = answers.filter((res) => res.statusCode === 503)
  t.equal(served.length + busy.length, answers.length, `${what}: every answer is a ${servedStatus} or a 503 (${statusesOf(answers)})`)
  t.ok(busy.length > 0, `${what}: the excess was refused (${busy.length} × 503)`)
  // The first arrivals fill the slot and the queue; none of them may be refused.
  const admitted = HASH_CONCURRENCY * (1 + QUEUED_HASHES_PER_SLOT)
  t.ok(served.length >= admitted, `${what}: at least the ${admitted} the slot and queue hold were served (${served.length})`)
  for (const res of busy) {
    const body = res.json<ErrorBody>()
    t.strictSame(body, { code: 0, errorCode: '1503', info: String(body.info) }, `${what}: the 503 body is {code:0, errorCode:'1503', info}`)
    t.equal(res.headers['retry-after'], String(BUSY_RETRY_AFTER_SECONDS), `${what}: the 503 says Retry-After: ${BUSY_RETRY_AFTER_SECONDS}`)
  }
}

t.test(`with PASSWORD_HASH_CONCURRENCY=${HASH_CONCURRENCY}, a burst of ${BURST} requests`, async (t) => {
  const logs = new LogCollector()
  const { app, config } = await buildTestApp(t, {
    logStream: logs,
    env: {
      PASSWORD_HASH_CONCURRENCY: String(HASH_CONCURRENCY),
      // An attempt is reserved while its check runs: the whole burst must fit in the budget.
      RATE_LIMIT_LOGIN_ACCOUNT_IP: String(BURST)
    }
  })

  t.test('of logins to one account: the excess answers 503, and keeps no failed-login attempt', async (t) => {
    // At the production argon2 cost, so the slot stays busy while the burst arrives.
    const user = await createUser(app, 'user', { productionHash: true })
    const ip = '10.30.0.1'
    const answers = await Promise.all(Array.from({ length: BURST }, async () => await attemptLogin(app, user.account, user.password, ip)))
    assertBusyOrServed(t, answers, 200, 'logins')
    // Every attempt of the burst was reserved before its check; the 503s, like the
    // successes, must have handed theirs back.
    const counters = await app.redis.keys(`${config.REDIS_KEY_PREFIX}RATE_LIMIT:login:*`)
    t.equal(counters.length, 3, 'the burst reserved attempts in the account+IP, account and IP counters')
    for (const key of counters) t.equal(await app.redis.get(key), '0', `${key} has every attempt back`)
  })

  t.test('of logins to unknown accounts: the dummy verification is bounded too', async (t) => {
    const answers = await Promise.all(Array.from({ length: BURST }, async (_, i) =>
      await attemptLogin(app, uniqueAccount(), TEST_PASSWORD, `10.31.0.${i + 1}`)))
    assertBusyOrServed(t, answers, 401, 'unknown accounts')
  })

  t.test('of registrations: hashing the new password is bounded', async (t) => {
    const answers = await Promise.all(Array.from({ length: BURST }, async (_, i) => await app.inject({
      method: 'POST', url: '/auth/register', payload: { account: uniqueAccount(), password: TEST_PASSWORD }, remoteAddress: `10.32.0.${i + 1}`
    })))
    assertBusyOrServed(t, answers, 201, 'registrations')
  })

  t.test('is logged as a warning without a stack, never as an error', async (t) => {
    const lines = logs.lines<LogLine>()
    const busy = lines.filter((line) => line.err?.code === 'AUTH_1503')
    t.ok(busy.length > 0, `the refusals were logged (${busy.length})`)
    t.ok(busy.every((line) => line.level === PINO_WARN_LEVEL), 'at warn level')
    // pino writes a missing stack as "".
    t.ok(busy.every((line) => line.err?.stack === undefined || line.err.stack === ''), 'without a stack')
    const errors = lines.filter((line) => line.level >= PINO_ERROR_LEVEL)
    t.strictSame(errors, [], 'nothing was logged at error level')
  })
})
