import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { Redis } from 'ioredis'
import t, { type Test } from 'tap'
import { AttemptLimiter } from '../src/rate-limit/attempt-limiter.js'
import { buildTestApp } from './helpers/build-app.js'
import { RedisMonitor } from './helpers/redis-monitor.js'
import { RedisServer } from './helpers/redis-server.js'
import { createUser, type CreateUserOptions, logIn, me, TEST_PASSWORD, uniqueAccount, type LoggedIn, type TestUser } from './helpers/sessions.js'

const LOGIN_PER_ACCOUNT_IP = 2
const LOGIN_PER_ACCOUNT = 5
const LOGIN_PER_IP = 8
// More than LOGIN_PER_ACCOUNT_IP: were wrong old passwords charged to the login budget, they
// would lock the owner's login from the same IP.
const PASSWORD_PER_SESSION = 3
const REGISTER_PER_IP = 2
const WINDOW_SECONDS = 60
const WRONG_PASSWORD = 'wrong horse battery staple'
const CONCURRENT_ATTEMPTS = 20
const CONCURRENCY_ROUNDS = 3

interface ErrorBody {
  code: number
  errorCode: string
  info: string
}

// Each scenario uses addresses of its own, so the per-IP counters of one do not leak into another.
function ipOf (scenario: number, host: number): string {
  return `10.${scenario}.0.${host}`
}

async function attemptLogin (app: FastifyInstance, account: string, password: string, ip: string): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'POST', url: '/auth/login', payload: { account, password }, remoteAddress: ip })
}

function assertWrongCredentials (t: Test, res: LightMyRequestResponse, what: string): void {
  t.equal(res.statusCode, 401, `${what}: 401 (${res.body})`)
  t.equal(res.json<ErrorBody>().errorCode, '1010', `${what}: errorCode 1010`)
}

function assertLimited (t: Test, res: LightMyRequestResponse, what: string): void {
  t.equal(res.statusCode, 429, `${what}: 429 (${res.statusCode === 200 ? 'logged in' : res.body})`)
  const body = res.json<ErrorBody>()
  t.strictSame(body, { code: 0, errorCode: '1029', info: String(body.info) }, `${what}: body is {code:0, errorCode:'1029', info}`)
  const retryAfter = String(res.headers['retry-after'])
  t.match(retryAfter, /^[1-9][0-9]*$/, `${what}: retry-after is a positive integer (${retryAfter})`)
  t.ok(Number(retryAfter) <= WINDOW_SECONDS, `${what}: retry-after ≤ the ${WINDOW_SECONDS}s window`)
}

function assertLoggedIn (t: Test, res: LightMyRequestResponse, what: string): void {
  t.equal(res.statusCode, 200, `${what}: 200 (${res.body})`)
}

async function failLogins (t: Test, app: FastifyInstance, account: string, ip: string, times: number, what: string): Promise<void> {
  for (let i = 1; i <= times; i++) {
    assertWrongCredentials(t, await attemptLogin(app, account, WRONG_PASSWORD, ip), `${what} #${i}`)
  }
}

// Guesses at one account from `ips.length` addresses, each up to its per-account+IP limit: the
// next guess from each is refused. Returns the failures charged to the account.
async function guessFromEach (t: Test, app: FastifyInstance, account: string, ips: string[]): Promise<number> {
  for (const ip of ips) {
    await failLogins(t, app, account, ip, LOGIN_PER_ACCOUNT_IP, `guess from ${ip}`)
    assertLimited(t, await attemptLogin(app, account, WRONG_PASSWORD, ip), `one more guess from ${ip}`)
  }
  return ips.length * LOGIN_PER_ACCOUNT_IP
}

async function changePassword (app: FastifyInstance, session: LoggedIn, oldPassword: string): Promise<LightMyRequestResponse> {
  return await app.inject({
    method: 'POST',
    url: '/auth/password',
    headers: { token: session.token },
    payload: { oldPassword, newPassword: 'a brand new password' }
  })
}

function assertWrongOldPassword (t: Test, res: LightMyRequestResponse, what: string): void {
  t.equal(res.statusCode, 403, `${what}: 403 (${res.body})`)
  t.equal(res.json<ErrorBody>().errorCode, '1010', `${what}: errorCode 1010`)
}

t.test('login and registration limits', async (t) => {
  const { app, config } = await buildTestApp(t, {
    env: {
      RATE_LIMIT_LOGIN_ACCOUNT_IP: String(LOGIN_PER_ACCOUNT_IP),
      RATE_LIMIT_LOGIN_ACCOUNT: String(LOGIN_PER_ACCOUNT),
      RATE_LIMIT_LOGIN_IP: String(LOGIN_PER_IP),
      RATE_LIMIT_PASSWORD_SESSION: String(PASSWORD_PER_SESSION),
      RATE_LIMIT_REGISTER_IP: String(REGISTER_PER_IP),
      RATE_LIMIT_WINDOW: String(WINDOW_SECONDS)
    }
  })
  const prefix = config.REDIS_KEY_PREFIX
  const accountsUsed: string[] = []
  async function newUser (options: CreateUserOptions = {}): Promise<TestUser> {
    const user = await createUser(app, 'user', options)
    accountsUsed.push(user.account)
    return user
  }

  t.test("guesses from other IPs leave the owner's login from their own IP working", async (t) => {
    const user = await newUser()
    const charged = await guessFromEach(t, app, user.account, [ipOf(1, 1), ipOf(1, 2)])
    t.ok(charged < LOGIN_PER_ACCOUNT, 'the guesses stay under the account-wide ceiling')
    assertLimited(t, await attemptLogin(app, user.account, user.password, ipOf(1, 1)), "even the right password from a guesser's IP")
    assertLoggedIn(t, await attemptLogin(app, user.account, user.password, ipOf(1, 9)), "the owner's login from their own IP")
  })

  t.test('the account-wide ceiling stops guessing spread over many IPs, whatever the spelling', async (t) => {
    const user = await newUser()
    // Each IP keeps to its per-account+IP limit; together they reach the account's ceiling.
    const ips = Array.from({ length: Math.floor(LOGIN_PER_ACCOUNT / LOGIN_PER_ACCOUNT_IP) }, (_, i) => ipOf(11, i + 1))
    const charged = await guessFromEach(t, app, user.account, ips)
    await failLogins(t, app, user.account, ipOf(11, 50), LOGIN_PER_ACCOUNT - charged, 'the guesses up to the ceiling')
    assertLimited(t, await attemptLogin(app, user.account, WRONG_PASSWORD, ipOf(11, 51)), 'a guess from a fresh IP')
    assertLimited(t, await attemptLogin(app, user.account, user.password, ipOf(11, 52)), 'the right password from a fresh IP')
    assertLimited(t, await attemptLogin(app, ` ${user.account.toUpperCase()}`, user.password, ipOf(11, 53)), 'another spelling of the account')
    assertLoggedIn(t, await attemptLogin(app, (await newUser()).account, TEST_PASSWORD, ipOf(11, 51)), 'another account from the same fresh IP')
  })

  t.test('other accounts from the same IP work until the IP limit', async (t) => {
    const ip = ipOf(2, 1)
    const locked = await newUser()
    const neighbour = await newUser()
    const late = await newUser()
    await failLogins(t, app, locked.account, ip, LOGIN_PER_ACCOUNT_IP, 'first account')
    assertLimited(t, await attemptLogin(app, locked.account, locked.password, ip), 'the account locked for this IP')
    assertLoggedIn(t, await attemptLogin(app, neighbour.account, neighbour.password, ip), 'another account from the same IP')
    // The IP has LOGIN_PER_ACCOUNT_IP failures; these, on accounts of their own, bring it to its limit.
    for (let i = 1; i <= LOGIN_PER_IP - LOGIN_PER_ACCOUNT_IP; i++) {
      assertWrongCredentials(t, await attemptLogin(app, uniqueAccount(), TEST_PASSWORD, ip), `unknown account #${i}`)
    }
    assertLimited(t, await attemptLogin(app, neighbour.account, neighbour.password, ip), 'the second account once the IP is limited')
    assertLimited(t, await attemptLogin(app, late.account, late.password, ip), 'a third account from the limited IP')
    assertLoggedIn(t, await attemptLogin(app, late.account, late.password, ipOf(2, 2)), 'the third account from another IP')
  })

  t.test('the IP limit counts failures across accounts', async (t) => {
    const ip = ipOf(3, 1)
    for (let i = 1; i <= LOGIN_PER_IP; i++) {
      assertWrongCredentials(t, await attemptLogin(app, uniqueAccount(), TEST_PASSWORD, ip), `unknown account #${i}`)
    }
    const user = await newUser()
    assertLimited(t, await attemptLogin(app, user.account, user.password, ip), 'a real account from the limited IP')
    assertLimited(t, await attemptLogin(app, uniqueAccount(), TEST_PASSWORD, ip), 'another unknown account from the limited IP')
    assertLoggedIn(t, await attemptLogin(app, user.account, user.password, ipOf(3, 2)), 'the same account from another IP')
  })

  t.test('an IPv6 client is counted by its /64, not per address', async (t) => {
    for (let i = 1; i <= LOGIN_PER_IP; i++) {
      assertWrongCredentials(t, await attemptLogin(app, uniqueAccount(), TEST_PASSWORD, `2001:db8:0:7::${i}`), `IPv6 address #${i}`)
    }
    const user = await newUser()
    assertLimited(t, await attemptLogin(app, user.account, user.password, '2001:db8:0:7:ffff::1'), 'another address in the same /64')
    assertLoggedIn(t, await attemptLogin(app, user.account, user.password, '2001:db8:0:8::1'), 'an address in another /64')
  })

  t.test('an IPv6 client guessing at one account is counted by its /64', async (t) => {
    const user = await newUser()
    for (let i = 1; i <= LOGIN_PER_ACCOUNT_IP; i++) {
      assertWrongCredentials(t, await attemptLogin(app, user.account, WRONG_PASSWORD, `2001:db8:0:9::${i}`), `IPv6 guess #${i}`)
    }
    assertLimited(t, await attemptLogin(app, user.account, user.password, '2001:db8:0:9:ffff::1'), 'another address in the same /64')
    assertLoggedIn(t, await attemptLogin(app, user.account, user.password, '2001:db8:0:a::1'), 'an address in another /64')
  })

  t.test('successful logins do not count', async (t) => {
    const ip = ipOf(4, 1)
    const user = await newUser()
    for (let i = 1; i <= 10; i++) {
      assertLoggedIn(t, await attemptLogin(app, user.account, user.password, ip), `successful login #${i}`)
    }
    // The whole budget is still there: only the next LOGIN_PER_ACCOUNT_IP failures use it up.
    await failLogins(t, app, user.account, ip, LOGIN_PER_ACCOUNT_IP, 'failure after the successes')
    assertLimited(t, await attemptLogin(app, user.account, user.password, ip), 'the login after the budget is spent')
  })

  t.test('a limit never ends a session', async (t) => {
    const user = await newUser()
    const session = await logIn(app, user)
    for (let i = 1; i <= LOGIN_PER_ACCOUNT; i++) {
      assertWrongCredentials(t, await attemptLogin(app, user.account, WRONG_PASSWORD, ipOf(5, 10 + i)), `attacker guess #${i}`)
    }
    assertLimited(t, await attemptLogin(app, user.account, user.password, ipOf(5, 3)), 'the owner cannot log in again for now')
    const res = await me(app, session.token)
    t.equal(res.statusCode, 200, `the signed-in token still works: ${res.body}`)
    const sessions = await app.inject({ method: 'GET', url: '/auth/sessions', headers: { token: session.token } })
    t.equal(sessions.statusCode, 200, sessions.body)
    t.equal(sessions.json<{ sessions: unknown[] }>().sessions.length, 1, 'the session is still listed')
  })

  t.test('registrations are limited per IP, every attempt counting', async (t) => {
    const ip = ipOf(6, 1)
    for (let i = 1; i <= REGISTER_PER_IP; i++) {
      const account = uniqueAccount()
      accountsUsed.push(account)
      const res = await app.inject({ method: 'POST', url: '/auth/register', payload: { account, password: TEST_PASSWORD }, remoteAddress: ip })
      t.equal(res.statusCode, 201, `registration #${i}: ${res.body}`)
    }
    const refusedAccount = uniqueAccount()
    const refused = await app.inject({ method: 'POST', url: '/auth/register', payload: { account: refusedAccount, password: TEST_PASSWORD }, remoteAddress: ip })
    assertLimited(t, refused, 'the registration over the limit')
    t.equal(await app.users.findByAccount(refusedAccount), undefined, 'the refused registration created nobody')
    const elsewhere = await app.inject({ method: 'POST', url: '/auth/register', payload: { account: refusedAccount, password: TEST_PASSWORD }, remoteAddress: ipOf(6, 2) })
    t.equal(elsewhere.statusCode, 201, `the same registration from another IP: ${elsewhere.body}`)
    accountsUsed.push(refusedAccount)
  })

  t.test('concurrent guesses cannot overshoot the account limits', async (t) => {
    // A counting wrapper around the real repository: a refused guess must be refused before
    // its credentials are checked (before the user lookup and the argon2 verification).
    const repository = app.users
    const findByAccount = repository.findByAccount.bind(repository)
    let lookups = 0
    repository.findByAccount = async (account) => {
      lookups++
      return await findByAccount(account)
    }
    t.teardown(() => { repository.findByAccount = findByAccount })

    for (let round = 1; round <= CONCURRENCY_ROUNDS; round++) {
      // At the production argon2 cost: the guesses' checks overlap as they would in production.
      const user = await newUser({ productionHash: true })
      lookups = 0
      // Odd rounds spread the guesses over many IPs (the account-wide ceiling holds), even
      // rounds send them all from one IP (the account+IP limit holds).
      const spread = round % 2 === 1
      const limit = spread ? LOGIN_PER_ACCOUNT : LOGIN_PER_ACCOUNT_IP
      const answers = await Promise.all(Array.from({ length: CONCURRENT_ATTEMPTS }, async (_, i) =>
        await attemptLogin(app, user.account, WRONG_PASSWORD, spread ? ipOf(7 + round, i + 1) : ipOf(7 + round, 1))))
      const wrong = answers.filter((res) => res.statusCode === 401 && res.json<ErrorBody>().errorCode === '1010')
      const limited = answers.filter((res) => res.statusCode === 429 && res.json<ErrorBody>().errorCode === '1029')
      t.equal(wrong.length, limit, `round ${round}: exactly ${limit} guesses were checked`)
      t.equal(limited.length, CONCURRENT_ATTEMPTS - limit, `round ${round}: the other ${CONCURRENT_ATTEMPTS - limit} were refused`)
      t.equal(lookups, limit, `round ${round}: only the reserved guesses looked the account up`)
      if (spread) {
        assertLimited(t, await attemptLogin(app, user.account, user.password, ipOf(7 + round, 99)), `round ${round}: the right password afterwards`)
      } else {
        assertLimited(t, await attemptLogin(app, user.account, user.password, ipOf(7 + round, 1)), `round ${round}: the right password from the guessing IP`)
        assertLoggedIn(t, await attemptLogin(app, user.account, user.password, ipOf(7 + round, 99)), `round ${round}: the right password from another IP`)
      }
    }
  })

  t.test("wrong old passwords are limited per session, and leave the account's logins alone", async (t) => {
    const user = await newUser()
    const session = await logIn(app, user)
    for (let i = 1; i <= PASSWORD_PER_SESSION; i++) {
      assertWrongOldPassword(t, await changePassword(app, session, WRONG_PASSWORD), `wrong old password #${i}`)
    }
    assertLimited(t, await changePassword(app, session, WRONG_PASSWORD), 'one more wrong old password')
    assertLimited(t, await changePassword(app, session, user.password), 'even the right old password, for now')
    const counter = `${prefix}RATE_LIMIT:password:session:${user.userId}:${session.sessionId}`
    t.equal(await app.redis.get(counter), String(PASSWORD_PER_SESSION), `the failures are counted in ${counter}`)
    t.equal((await me(app, session.token)).statusCode, 200, 'the session goes on')
    // logIn() comes from the same client as the password changes.
    assertLoggedIn(t, await attemptLogin(app, user.account, user.password, '127.0.0.1'), 'a login of the account from the same IP')
    await failLogins(t, app, user.account, '127.0.0.1', LOGIN_PER_ACCOUNT_IP, 'the login budget is whole')
  })

  t.test('another session of the same user has its own password-change budget', async (t) => {
    const user = await newUser()
    const spent = await logIn(app, user, 'laptop')
    const other = await logIn(app, user, 'phone')
    for (let i = 1; i <= PASSWORD_PER_SESSION; i++) {
      assertWrongOldPassword(t, await changePassword(app, spent, WRONG_PASSWORD), `wrong old password #${i} on the laptop`)
    }
    assertLimited(t, await changePassword(app, spent, user.password), 'the laptop session, once its budget is spent')
    assertWrongOldPassword(t, await changePassword(app, other, WRONG_PASSWORD), 'a wrong old password on the phone')
    const changed = await changePassword(app, other, user.password)
    t.equal(changed.statusCode, 200, `the right old password on the phone changes the password: ${changed.body}`)
  })

  t.test("guesses at an account do not block its owner's password change", async (t) => {
    const user = await newUser()
    const session = await logIn(app, user)
    for (let i = 1; i <= LOGIN_PER_ACCOUNT; i++) {
      assertWrongCredentials(t, await attemptLogin(app, user.account, WRONG_PASSWORD, ipOf(12, i)), `attacker guess #${i}`)
    }
    assertLimited(t, await attemptLogin(app, user.account, user.password, ipOf(12, 99)), 'logins of the account are at the ceiling')
    assertWrongOldPassword(t, await changePassword(app, session, WRONG_PASSWORD), "the owner's typo in the old password")
    const changed = await changePassword(app, session, user.password)
    t.equal(changed.statusCode, 200, `the owner's password change: ${changed.body}`)
  })

  t.test('the counters live in Redis, under hashed account names', async (t) => {
    const counters = await app.redis.keys(`${prefix}RATE_LIMIT:*`)
    t.ok(counters.some((key) => /^RATE_LIMIT:login:account-ip:[\w-]{22}:10\.1\.0\.1$/.test(key.slice(prefix.length))), 'per-account+IP login counters exist')
    t.ok(counters.some((key) => key.startsWith(`${prefix}RATE_LIMIT:login:account-ip:`) && key.endsWith(':2001:db8:0:9::/64')), 'per-account+IP counters count IPv6 clients by /64')
    t.ok(counters.some((key) => key.startsWith(`${prefix}RATE_LIMIT:login:account:`)), 'per-account login counters exist')
    t.ok(counters.some((key) => key.startsWith(`${prefix}RATE_LIMIT:password:session:`)), 'per-session password counters exist')
    t.ok(counters.some((key) => key.startsWith(`${prefix}RATE_LIMIT:login:ip:`)), 'per-IP login counters exist')
    t.ok(counters.includes(`${prefix}RATE_LIMIT:register:ip:${ipOf(6, 1)}`), 'the per-IP registration counter exists')
    for (const key of counters) {
      const ttl = await app.redis.pttl(key)
      t.ok(ttl > 0 && ttl <= WINDOW_SECONDS * 1000, `${key} expires within the window (${ttl} ms)`)
    }

    const allKeys = await app.redis.keys(`${prefix}*`)
    t.ok(accountsUsed.length > 0, 'the scenarios used accounts')
    t.notOk(allKeys.some((key) => key.includes('@')), 'no Redis key contains an e-mail address')
    const localParts = accountsUsed.map((account) => account.split('@')[0] ?? account)
    t.notOk(allKeys.some((key) => localParts.some((local) => key.includes(local))), 'no Redis key contains an account name')
  })
})

// A login's three budgets cost one script call to reserve and one to hand back on one Redis (on a
// cluster, where they lie in different slots, one each: test/redis/cluster.cases.ts).
t.test('on one Redis a login reserves its budgets in one call and hands them back in one', async (t) => {
  const redisServer = await RedisServer.start()
  t.teardown(async () => await redisServer.destroy())
  const redis = new Redis(redisServer.url)
  t.teardown(() => redis.disconnect())
  const monitor = await RedisMonitor.start(redisServer.port)
  t.teardown(() => monitor.stop())
  const limits = { loginPerAccountIp: 1, loginPerAccount: 10, loginPerIp: 10, windowSeconds: WINDOW_SECONDS }
  const otherBudgets = { passwordPerSession: 1, registerPerIp: 1, refreshPerSession: 1, refreshPerIp: 1, serviceKeyPerIp: 1, resetPerAccount: 1, resetPerIp: 1 }
  const limiter = new AttemptLimiter(redis, { ...limits, ...otherBudgets })
  const scriptCalls = async (): Promise<string[][]> => {
    await monitor.drain(redis)
    const calls = monitor.commands.filter((command) => command.source !== 'lua' && /^EVAL(SHA)?$/i.test(command.args[0] ?? ''))
    monitor.commands.length = 0
    return calls.map((command) => command.args)
  }
  const account = uniqueAccount()
  const ip = ipOf(9, 1)

  t.equal(await limiter.guardLogin(account, ip, async () => 'checked'), 'checked', 'a right password')
  const [reserve, release, ...more] = await scriptCalls()
  t.same(more, [], 'two calls')
  t.equal(reserve?.[2], '6', 'the reserve names the three counters and their refusals')
  t.equal(release?.[2], '3', 'the hand-back names the three counters')

  t.equal(await limiter.guardLogin(account, ip, async () => undefined), undefined, 'a wrong password')
  t.equal((await scriptCalls()).length, 1, 'one call: nothing is handed back')
  await t.rejects(limiter.guardLogin(account, ip, async () => 'not reached'), { code: 'AUTH_1029', statusCode: 429 }, 'the account-ip budget is spent')
  t.equal((await scriptCalls()).length, 2, 'one call, then one handing back the two budgets that had room')
  const keys = [...await redis.keys('RATE_LIMIT:login:account:*'), ...await redis.keys('RATE_LIMIT:login:ip:*')]
  const counters = await Promise.all(keys.map(async (key) => await redis.get(key)))
  t.same(counters, ['1', '1'], 'the account and IP budgets keep the one failure only')
})
