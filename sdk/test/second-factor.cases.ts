import t from 'tap'
import { totpCodeAt, totpStepAt } from '../../src/second-factor/totp.js'
import { AuthError, createAuthClient, ERROR_CODES, memoryStorage, type SessionEndReason } from '../src/index.js'
import { REFRESH_ENV, startApiServer } from './helpers/api-server.js'

const TOTP_STEP_MS = 30_000

// The two-step login and the factor's set-up through the SDK, against the real server, on both strategies.
for (const [strategy, env] of [['sliding', {}], ['refresh', REFRESH_ENV]] as const) {
  t.test(`${strategy}: setUpTotp, confirmTotp, login's challenge, completeSecondFactor, disableTotp`, async (t) => {
    const server = await startApiServer(t, env)
    const code = (secret: string): string => totpCodeAt(secret, totpStepAt(server.clock.now()))
    const user = await server.createUser()
    const ended: SessionEndReason[] = []
    const desk = createAuthClient({ baseUrl: server.baseUrl, strategy, storage: memoryStorage() })
    const phone = createAuthClient({ baseUrl: server.baseUrl, strategy, storage: memoryStorage(), onSessionEnded: (reason) => { ended.push(reason) } })
    t.teardown(() => { desk.close(); phone.close() })

    const first = await desk.login(user.account, user.password)
    t.not(first.secondFactorRequired, true, 'no factor yet: a session')
    t.equal(await desk.totpEnabled(), false, 'totpEnabled: not yet')
    const { secret, otpauthUri } = await desk.setUpTotp()
    t.match(otpauthUri, /^otpauth:\/\/totp\//)
    await t.rejects(desk.confirmTotp(totpCodeAt(secret, totpStepAt(server.clock.now()) + 4)), { name: 'AuthError', status: 403, errorCode: '1010' })
    const backupCodes = await desk.confirmTotp(code(secret))
    t.equal(backupCodes.length, 10)
    t.equal(await desk.totpEnabled(), true, 'totpEnabled: on once confirmed')
    server.clock.advance(TOTP_STEP_MS)

    const answer = await phone.login(user.account, user.password)
    if (answer.secondFactorRequired !== true) throw new Error('expected a second factor')
    t.match(answer, { secondFactorRequired: true, challenge: /^[A-Za-z0-9_-]{43}$/ })
    t.equal(phone.isSignedIn(), false, 'no session yet')
    const wrong = await phone.completeSecondFactor(answer.challenge, '000000').then(() => undefined, (error: unknown) => error)
    t.ok(wrong instanceof AuthError && wrong.errorCode === ERROR_CODES.wrongCredentials && wrong.reason === undefined, 'a wrong code: 1010, ask again')
    const session = await phone.completeSecondFactor(answer.challenge, code(secret))
    t.match(session, { userId: user.userId, userType: 'user', sessionId: String })
    t.equal(phone.isSignedIn(), true)
    t.same((await phone.me()).amr, ['pwd', 'otp'])
    t.match(await phone.sessions(), [{ current: true, amr: ['pwd', 'otp'] }], 'the session list too')
    const reused = await phone.completeSecondFactor(answer.challenge, backupCodes[0] ?? '').then(() => undefined, (error: unknown) => error)
    t.ok(reused instanceof AuthError && reused.reason === 'challenge_expired', 'a used challenge: challenge_expired')

    t.equal(await desk.disableTotp(backupCodes[1] ?? ''), 1, 'the other session ended')
    await t.rejects(phone.me(), { name: 'AuthError', errorCode: '1002' })
    t.same(ended, ['second_factor_changed'], 'onSessionEnded tells why')
    t.equal(desk.isSignedIn(), true, 'this one lives on')
    t.not((await phone.login(user.account, user.password)).secondFactorRequired, true, 'the password alone signs in again')
  })
}
