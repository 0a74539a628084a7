import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { buildTestApp } from '../helpers/build-app.js'
import { createAndLogIn, me, type LoggedIn } from '../helpers/sessions.js'
import { challengeOf, currentCode, enableTotp, passwordStep, secondFactor, TOTP_STEP_MS, type EnabledTotp } from '../helpers/second-factor.js'
import { appOptions, forEachStrategy } from '../helpers/strategies.js'
import { TestClock } from '../helpers/test-clock.js'

const CHALLENGE_TTL_MS = 300_000
const CONCURRENCY_ROUNDS = 10
const CHALLENGE_EXPIRED = { code: 0, errorCode: '1010', reason: 'challenge_expired' }

async function userWithTotp (app: FastifyInstance, clock: TestClock): Promise<{ session: LoggedIn, totp: EnabledTotp }> {
  const session = await createAndLogIn(app)
  return { session, totp: await enableTotp(app, session, clock) }
}

async function sessionCount (app: FastifyInstance, userId: number): Promise<number> {
  return (await app.sessions.list(userId)).length
}

t.test('login with the second factor on', async (t) => {
  const clock = new TestClock()
  // The losers of the races below are wrong codes, each counted: the budget is far beyond them here.
  const { app } = await buildTestApp(t, { clock: clock.now, env: { RATE_LIMIT_LOGIN_ACCOUNT_IP: '100' } })

  t.test('the password answers 1012 with a challenge and starts nothing; the code starts the session, amr pwd+otp', async (t) => {
    const { session, totp } = await userWithTotp(app, clock)
    const before = await sessionCount(app, session.userId)
    const login = await passwordStep(app, session, { deviceId: 'laptop-1' })
    t.equal(login.statusCode, 401)
    const body = login.json<{ challenge: string }>()
    t.match(body, { code: 0, errorCode: '1012', info: /Second factor required/, challenge: /^[A-Za-z0-9_-]{43}$/ })
    t.notOk(login.headers['set-cookie'], 'no cookie')
    t.equal(await sessionCount(app, session.userId), before, 'no session started')

    const done = await secondFactor(app, body.challenge, currentCode(totp.secret, clock))
    t.equal(done.statusCode, 200, done.body)
    const issued = done.json<{ token: string, userId: number, sessionId: string, result: string }>()
    t.match(issued, { result: 'success', userId: session.userId, token: /\S/ })
    t.ok(done.headers['set-cookie'], 'cookies as login sets them')
    const who = (await me(app, issued.token)).json<{ amr: string[] }>()
    t.same(who.amr, ['pwd', 'otp'], '/auth/me: password and one-time code')
    t.same((await me(app, session.token)).json<{ amr: string[] }>().amr, ['pwd'], 'the session of the password login: pwd')
    const listed = await app.sessions.list(session.userId)
    t.match(listed.find((view) => view.id === issued.sessionId), { deviceId: 'laptop-1', amr: ['pwd', 'otp'] }, 'the device of the login, in the session list')

    const reused = await secondFactor(app, body.challenge, currentCode(totp.secret, clock, 1))
    t.equal(reused.statusCode, 401, 'a challenge is used once')
    t.match(reused.json(), CHALLENGE_EXPIRED)
  })

  t.test('a TOTP step already used is refused (replay); the next step is accepted; ±1 step', async (t) => {
    const { session, totp } = await userWithTotp(app, clock)
    const code = currentCode(totp.secret, clock)
    t.equal((await secondFactor(app, await challengeOf(app, session), code)).statusCode, 200)
    const replay = await secondFactor(app, await challengeOf(app, session), code)
    t.equal(replay.statusCode, 401, 'the same code again')
    t.same(replay.json(), { code: 0, errorCode: '1010', info: 'Wrong code' })
    t.equal((await secondFactor(app, await challengeOf(app, session), currentCode(totp.secret, clock, -1))).statusCode, 401,
      'an older step than the last used one')
    t.equal((await secondFactor(app, await challengeOf(app, session), currentCode(totp.secret, clock, 1))).statusCode, 200, 'the next step')
    clock.advance(3 * TOTP_STEP_MS)
    t.equal((await secondFactor(app, await challengeOf(app, session), currentCode(totp.secret, clock, -2))).statusCode, 401, 'two steps old')
    t.equal((await secondFactor(app, await challengeOf(app, session), currentCode(totp.secret, clock, -1))).statusCode, 200, 'one step old')
  })

  t.test('concurrent logins with one TOTP code: one session', async (t) => {
    const { session, totp } = await userWithTotp(app, clock)
    for (let round = 0; round < CONCURRENCY_ROUNDS; round++) {
      const code = currentCode(totp.secret, clock)
      const challenges = await Promise.all([challengeOf(app, session), challengeOf(app, session)])
      const answers = await Promise.all(challenges.map(async (challenge) => await secondFactor(app, challenge, code)))
      t.same(answers.map((answer) => answer.statusCode).sort(), [200, 401], `round ${round}: one of the two`)
      clock.advance(TOTP_STEP_MS)
    }
  })

  t.test('a backup code signs in once; two logins racing with one code: exactly one session, every time', async (t) => {
    const { session, totp } = await userWithTotp(app, clock)
    const [first = '', ...others] = totp.backupCodes
    const once = await secondFactor(app, await challengeOf(app, session), first.toUpperCase())
    t.equal(once.statusCode, 200, 'in capitals too')
    t.same((await me(app, once.json<{ token: string }>().token)).json<{ amr: string[] }>().amr, ['pwd', 'otp'])
    t.equal((await secondFactor(app, await challengeOf(app, session), first)).statusCode, 401, 'a used backup code is refused')
    for (const [round, code] of others.slice(0, 8).entries()) {
      const challenges = await Promise.all([challengeOf(app, session), challengeOf(app, session)])
      const answers = await Promise.all(challenges.map(async (challenge) => await secondFactor(app, challenge, code)))
      t.same(answers.map((answer) => answer.statusCode).sort(), [200, 401], `round ${round}: one login of two`)
    }
    const [row] = await app.db.query<{ unused: string }>(
      'SELECT count(*) AS unused FROM totp_backup_codes WHERE user_id = $1 AND used_at IS NULL', [session.userId])
    t.equal(Number(row?.unused), 1, 'nine used, one left')
  })

  t.test('two codes racing on one challenge: one session, and the loser\'s backup code is not spent', async (t) => {
    const { session, totp } = await userWithTotp(app, clock)
    const unusedCodes = async (): Promise<number> => {
      const [row] = await app.db.query<{ unused: string }>(
        'SELECT count(*) AS unused FROM totp_backup_codes WHERE user_id = $1 AND used_at IS NULL', [session.userId])
      return Number(row?.unused)
    }
    // Each round the winner spends one code; the loser's comes back in the next round.
    let [spare = '', ...fresh] = totp.backupCodes
    for (let round = 0; round < 8; round++) {
      const challenge = await challengeOf(app, session)
      const codes = [spare, fresh.shift() ?? '']
      const answers = await Promise.all(codes.map(async (code) => await secondFactor(app, challenge, code)))
      t.same(answers.map((answer) => answer.statusCode).sort(), [200, 401], `round ${round}: one login`)
      const loser = answers.findIndex((answer) => answer.statusCode === 401)
      t.match(answers[loser]?.json(), CHALLENGE_EXPIRED, `round ${round}: the loser finds the challenge used`)
      t.equal(await unusedCodes(), totp.backupCodes.length - round - 1, `round ${round}: one code spent`)
      spare = codes[loser] ?? ''
    }
  })

  t.test('a challenge lives 300 s by the clock', async (t) => {
    const { session, totp } = await userWithTotp(app, clock)
    const challenge = await challengeOf(app, session)
    clock.advance(CHALLENGE_TTL_MS)
    const late = await secondFactor(app, challenge, currentCode(totp.secret, clock))
    t.equal(late.statusCode, 401)
    t.match(late.json(), CHALLENGE_EXPIRED)
    const ttl = await app.redis.pttl(`${app.config.REDIS_KEY_PREFIX}LOGIN_CHALLENGE:${(await import('node:crypto')).createHash('sha256').update(challenge).digest('base64url')}`)
    t.ok(ttl > 0 && ttl <= CHALLENGE_TTL_MS, 'stored under its digest, with a TTL of its own for Redis to drop it')
  })

  t.test('a challenge takes three wrong codes, then it is void', async (t) => {
    const { session, totp } = await userWithTotp(app, clock)
    const challenge = await challengeOf(app, session)
    for (let attempt = 1; attempt <= 3; attempt++) {
      const wrong = await secondFactor(app, challenge, currentCode(totp.secret, clock, 5))
      t.same(wrong.json(), { code: 0, errorCode: '1010', info: 'Wrong code' }, `wrong code ${attempt}`)
    }
    const right = await secondFactor(app, challenge, currentCode(totp.secret, clock))
    t.match(right.json(), CHALLENGE_EXPIRED, 'even the right code: log in again')
    t.equal((await secondFactor(app, await challengeOf(app, session), currentCode(totp.secret, clock))).statusCode, 200, 'a new login goes on')
  })

  t.test('a password change or logout-all between the two steps voids the challenge, and spends no code', async (t) => {
    const { session, totp } = await userWithTotp(app, clock)
    const backupCode = totp.backupCodes[0] ?? ''
    for (const code of [currentCode(totp.secret, clock), backupCode]) {
      const challenge = await challengeOf(app, session)
      await app.sessions.endAll(session.userId, { reason: 'logout_all' })
      const voided = await secondFactor(app, challenge, code)
      t.equal(voided.statusCode, 401)
      t.match(voided.json(), CHALLENGE_EXPIRED)
      t.equal(await sessionCount(app, session.userId), 0, 'no session')
    }
    // The same codes on a challenge that is not void: neither was spent above.
    t.equal((await secondFactor(app, await challengeOf(app, session), currentCode(totp.secret, clock))).statusCode, 200, 'the authenticator step still works')
    t.equal((await secondFactor(app, await challengeOf(app, session), backupCode)).statusCode, 200, 'the backup code still works')
  })

  t.test('unknown challenges and malformed codes', async (t) => {
    t.match((await secondFactor(app, 'A'.repeat(43), '123456')).json(), CHALLENGE_EXPIRED)
    const malformed = await app.inject({ method: 'POST', url: '/auth/login/second-factor', payload: { challenge: 'A'.repeat(43), code: '12<45>' } })
    t.equal(malformed.statusCode, 400)
    t.equal((await app.inject({ method: 'POST', url: '/auth/login/second-factor', payload: { code: '123456' } })).statusCode, 400)
  })
})

t.test('wrong codes count against the login budgets of the account: then 429', async (t) => {
  const clock = new TestClock()
  const { app } = await buildTestApp(t, { clock: clock.now, env: { RATE_LIMIT_LOGIN_ACCOUNT_IP: '4' } })
  const { session, totp } = await userWithTotp(app, clock)
  // A right password hands its attempt back: five challenges cost nothing.
  const challenges = []
  for (let login = 0; login < 5; login++) challenges.push(await challengeOf(app, session))
  const statuses: number[] = []
  for (const challenge of challenges) statuses.push((await secondFactor(app, challenge, currentCode(totp.secret, clock, 4))).statusCode)
  t.same(statuses, [401, 401, 401, 401, 429], 'four wrong codes, then the budget is spent')
  const spent = await passwordStep(app, session)
  t.equal(spent.statusCode, 429, 'the password step too: one budget')
  t.ok(Number(spent.headers['retry-after']) > 0)
})

forEachStrategy(t, async (t, strategy) => {
  const clock = new TestClock()
  const { app } = await buildTestApp(t, { ...appOptions(strategy), clock: clock.now })
  const { session, totp } = await userWithTotp(app, clock)
  const plain = await passwordStep(app, (await createAndLogIn(app)), { rememberMe: false })
  const done = await secondFactor(app, await challengeOf(app, session, { rememberMe: false }), currentCode(totp.secret, clock))
  t.equal(done.statusCode, 200, done.body)
  t.same(Object.keys(done.json()).sort(), Object.keys(plain.json()).sort(), 'the fields login answers')
  const cookieNames = (response: typeof done): string[] => [response.headers['set-cookie'] ?? []].flat().map((cookie) => cookie.split('=')[0] ?? '').sort()
  t.same(cookieNames(done), cookieNames(plain), 'the cookies login sets')
  t.notOk([done.headers['set-cookie'] ?? []].flat().some((cookie) => /Max-Age|Expires/i.test(cookie)), 'rememberMe: false is kept')
  if (strategy.refresh) {
    const { refreshToken } = done.json<{ refreshToken: string }>()
    const refreshed = await app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken } })
    t.equal(refreshed.statusCode, 200, 'its refresh token works')
    t.same((await me(app, refreshed.json<{ token: string }>().token)).json<{ amr: string[] }>().amr, ['pwd', 'otp'], 'amr after a refresh')
  }
})
