import t from 'tap'
import { buildTestApp } from '../helpers/build-app.js'
import { createAndLogIn, logIn, me } from '../helpers/sessions.js'
import { currentCode, enableTotp, passwordStep, TOTP_STEP_MS, totpConfirm, totpSetup } from '../helpers/second-factor.js'
import { TestClock } from '../helpers/test-clock.js'

const SIXTEEN_MINUTES_MS = 16 * 60 * 1000

t.test('POST /auth/2fa/totp/setup and /confirm', async (t) => {
  const clock = new TestClock()
  const { app } = await buildTestApp(t, { clock: clock.now, env: { TOTP_ISSUER: 'Example Co' } })

  t.test('setup hands out a secret and its URI; nothing changes until a code of it confirms it', async (t) => {
    const session = await createAndLogIn(app)
    const setup = await totpSetup(app, session.token)
    t.equal(setup.statusCode, 200, setup.body)
    const { secret, otpauthUri } = setup.json<{ secret: string, otpauthUri: string }>()
    t.match(secret, /^[A-Z2-7]{32}$/, '20 bytes in base32')
    const uri = new URL(otpauthUri)
    t.equal(uri.host + decodeURIComponent(uri.pathname), `totp/Example Co:${session.account}`, 'TOTP_ISSUER and the account label it')
    t.match(Object.fromEntries(uri.searchParams), { secret, issuer: 'Example Co', algorithm: 'SHA1', digits: '6', period: '30' })
    t.equal((await passwordStep(app, session)).statusCode, 200, 'login still needs the password only')
    const pending = await app.inject({ method: 'GET', url: '/auth/2fa/totp', headers: { token: session.token } })
    t.same([pending.statusCode, pending.json()], [200, { enabled: false }], 'GET /auth/2fa/totp: off while the setup is pending')

    const wrong = await totpConfirm(app, session.token, currentCode(secret, clock, 3))
    t.equal(wrong.statusCode, 403)
    t.same(wrong.json(), { code: 0, errorCode: '1010', info: 'Wrong code' })
    t.equal((await passwordStep(app, session)).statusCode, 200, 'a wrong code turns nothing on')

    const confirmed = await totpConfirm(app, session.token, currentCode(secret, clock))
    t.equal(confirmed.statusCode, 200, confirmed.body)
    const { result, backupCodes } = confirmed.json<{ result: string, backupCodes: string[] }>()
    t.equal(result, 'success')
    t.equal(backupCodes.length, 10)
    t.equal(new Set(backupCodes).size, 10, 'ten different backup codes')
    const login = await passwordStep(app, session)
    t.equal(login.statusCode, 401, 'from now on the password is not enough')
    t.match(login.json(), { code: 0, errorCode: '1012', challenge: /^[A-Za-z0-9_-]{43}$/ })
    t.equal((await me(app, session.token)).statusCode, 200, 'the session that turned it on lives on')
    const status = await app.inject({ method: 'GET', url: '/auth/2fa/totp', headers: { token: session.token } })
    t.same([status.statusCode, status.json()], [200, { enabled: true }], 'GET /auth/2fa/totp: on once confirmed')

    const [row] = await app.db.query<{ sealed_secret: string }>('SELECT sealed_secret FROM totp_factors WHERE user_id = $1', [session.userId])
    t.ok(row !== undefined && !row.sealed_secret.includes(secret), 'the stored secret is sealed, not the secret')
    const digests = await app.db.query<{ code_digest: string }>('SELECT code_digest FROM totp_backup_codes WHERE user_id = $1', [session.userId])
    t.equal(digests.length, 10, 'ten backup code digests')
    const stored = digests.map((digest) => digest.code_digest).join(' ')
    t.notOk(backupCodes.some((code) => stored.includes(code.replace('-', ''))), 'no backup code is stored as itself')

    const again = await totpSetup(app, session.token)
    t.equal(again.statusCode, 409, 'a second factor that is on is not set up again')
    t.equal(again.json<{ errorCode: string }>().errorCode, '1409')
    t.equal((await totpConfirm(app, session.token, currentCode(secret, clock))).statusCode, 404, 'the setup was used up')
  })

  t.test('a new setup replaces the pending one; confirming needs a pending setup', async (t) => {
    const session = await createAndLogIn(app)
    t.equal((await totpConfirm(app, session.token, '123456')).statusCode, 404, 'none pending')
    const first = (await totpSetup(app, session.token)).json<{ secret: string }>().secret
    const second = (await totpSetup(app, session.token)).json<{ secret: string }>().secret
    t.not(first, second)
    t.equal((await totpConfirm(app, session.token, currentCode(first, clock))).statusCode, 403, "the replaced secret's code is wrong")
    t.equal((await totpConfirm(app, session.token, currentCode(second, clock))).statusCode, 200)
  })

  t.test('wrong codes at confirm use the session budget of wrong passwords: then 429', async (t) => {
    const session = await createAndLogIn(app)
    const { secret } = (await totpSetup(app, session.token)).json<{ secret: string }>()
    const statuses: number[] = []
    for (let attempt = 0; attempt < 6; attempt++) statuses.push((await totpConfirm(app, session.token, currentCode(secret, clock, 5))).statusCode)
    t.same(statuses, [403, 403, 403, 403, 403, 429], 'RATE_LIMIT_PASSWORD_SESSION (5) wrong codes, then refused')
  })

  t.test('setup needs a recent sign-in (403 "1005")', async (t) => {
    const session = await createAndLogIn(app)
    clock.advance(SIXTEEN_MINUTES_MS)
    const stale = await totpSetup(app, session.token)
    t.equal(stale.statusCode, 403)
    t.match(stale.json(), { errorCode: '1005', maxAge: 900 })
    const fresh = await logIn(app, session)
    t.equal((await totpSetup(app, fresh.token)).statusCode, 200, 'a new sign-in is recent')
    t.equal((await totpSetup(app, 'not a token')).statusCode, 401, 'no session: 401')
  })

  t.test('with the factor on, a re-authentication needs its code beside the password', async (t) => {
    const session = await createAndLogIn(app)
    const { secret, backupCodes } = await enableTotp(app, session, clock)
    const reauthenticate = async (payload: Record<string, unknown>): Promise<[number, string]> => {
      const answer = await app.inject({ method: 'POST', url: '/auth/reauthenticate', headers: { token: session.token }, payload })
      return [answer.statusCode, answer.json<{ errorCode?: string }>().errorCode ?? '']
    }
    t.same(await reauthenticate({ password: session.password }), [403, '1012'], 'the password alone: 403 "1012"')
    t.same(await reauthenticate({ password: session.password, code: currentCode(secret, clock, 5) }), [403, '1010'], 'a wrong code: 403 "1010"')
    t.same(await reauthenticate({ password: 'not the password', code: currentCode(secret, clock) }), [403, '1010'], 'a wrong password with a right code: 403 "1010"')
    t.same(await reauthenticate({ password: session.password, code: currentCode(secret, clock) }), [200, ''], 'both: the sign-in is recent')
    t.same(await reauthenticate({ password: session.password, code: currentCode(secret, clock) }), [403, '1010'], 'the same code again: a replay, refused')
    t.same(await reauthenticate({ password: session.password, code: backupCodes[0] }), [200, ''], 'a backup code does too')
    clock.advance(TOTP_STEP_MS)
  })

  t.test('a setup is pending ten minutes', async (t) => {
    const session = await createAndLogIn(app)
    const { secret } = (await totpSetup(app, session.token)).json<{ secret: string }>()
    const key = `${app.config.REDIS_KEY_PREFIX}TOTP_SETUP:{${session.userId}}`
    const ttl = await app.redis.pttl(key)
    t.ok(ttl > 9 * 60 * 1000 && ttl <= 10 * 60 * 1000, `TTL ${ttl} ms`)
    t.notMatch(await app.redis.get(key) ?? '', secret, 'sealed in Redis too')
    clock.advance(TOTP_STEP_MS)
  })
})
