import t from 'tap'
import { buildTestApp } from '../helpers/build-app.js'
import { createAndLogIn, logIn, me } from '../helpers/sessions.js'
import { challengeOf, currentCode, enableTotp, passwordStep, secondFactor, totpRemove } from '../helpers/second-factor.js'
import { TestClock } from '../helpers/test-clock.js'

t.test('DELETE /auth/2fa/totp', async (t) => {
  const clock = new TestClock()
  const { app } = await buildTestApp(t, { clock: clock.now })

  t.test('with a current code: the factor is gone and every other session ends (second_factor_changed)', async (t) => {
    const session = await createAndLogIn(app)
    const totp = await enableTotp(app, session, clock)
    const otherDevice = (await secondFactor(app, await challengeOf(app, session), currentCode(totp.secret, clock))).json<{ token: string }>()
    clock.advance(30_000)

    const wrong = await totpRemove(app, session.token, currentCode(totp.secret, clock, 4))
    t.equal(wrong.statusCode, 403)
    t.same(wrong.json(), { code: 0, errorCode: '1010', info: 'Wrong code' })
    t.equal((await me(app, otherDevice.token)).statusCode, 200, 'a wrong code ends nothing')

    const removed = await totpRemove(app, session.token, currentCode(totp.secret, clock))
    t.equal(removed.statusCode, 200, removed.body)
    t.same(removed.json(), { result: 'success', revoked: 1 })
    const ended = await me(app, otherDevice.token)
    t.equal(ended.statusCode, 401)
    t.match(ended.json(), { errorCode: '1002', reason: 'second_factor_changed' })
    t.equal((await me(app, session.token)).statusCode, 200, 'the session that removed it lives on')
    t.equal((await passwordStep(app, session)).statusCode, 200, 'the password alone signs in again')
    const [row] = await app.db.query<{ count: string }>('SELECT count(*) AS count FROM totp_backup_codes WHERE user_id = $1', [session.userId])
    t.equal(Number(row?.count), 0, 'its backup codes are gone with it')
    const again = await totpRemove(app, session.token, currentCode(totp.secret, clock))
    t.equal(again.statusCode, 404, 'nothing left to remove')
  })

  t.test('with a backup code', async (t) => {
    const session = await createAndLogIn(app)
    const totp = await enableTotp(app, session, clock)
    const other = await logIn(app, { ...session }).catch(() => undefined)
    t.equal(other, undefined, 'the password alone no longer logs in')
    const removed = await totpRemove(app, session.token, totp.backupCodes[3] ?? '')
    t.same(removed.json(), { result: 'success', revoked: 0 })
    t.equal((await passwordStep(app, session)).statusCode, 200)
  })
})
