import t from 'tap'
import { createUser, expireKeyNow } from '../helpers/sessions.js'
import { newContext, NO_CHROMIUM, startPageServer } from './browser-harness.js'
import { sharedChromium } from './shared-chromium.js'
import { PageDriver, signInOnTwoDevices } from './page-driver.js'

const NEW_PASSWORD = 'a new passphrase typed in the browser'

t.test('password change and expiry, in Chromium (sliding strategy)', { skip: NO_CHROMIUM }, async (t) => {
  const browser = await sharedChromium()
  const { app, origin } = await startPageServer(t)

  t.test('changing the password keeps this device signed in and tells the other one why it was not', async (t) => {
    const user = await createUser(app)
    const { first, second } = await signInOnTwoDevices(t, browser, origin, user)
    const [before] = await first.sessions()

    await first.changePassword(user.password, NEW_PASSWORD)
    t.match(await first.status(), /^Password changed/)
    t.equal(await first.view(), 'account', 'still signed in')
    const after = await first.sessions()
    t.equal(after.length, 1, 'every other session ended')
    t.equal(after[0]?.current, true)
    t.not(after[0]?.id, before?.id, 'with a fresh session')
    await first.reload()
    t.equal(await first.view(), 'account', 'the fresh session survives a reload')

    await second.refreshView()
    await second.waitForView('login')
    t.match(await second.status(), /Your password was changed/, 'reason password_changed, in words')

    await second.logIn(user.account, NEW_PASSWORD)
    t.equal(await second.shownAccount(), user.account, 'the new password works')
    t.strictSame([...first.problems, ...second.problems], [])
  })

  t.test('a wrong current password changes nothing and says so', async (t) => {
    const user = await createUser(app)
    const { driver } = await PageDriver.open(await newContext(t, browser), origin)
    await driver.logIn(user.account, user.password)
    const [before] = await driver.sessions()

    await driver.changePassword('not the current password', NEW_PASSWORD)
    t.equal(await driver.status(), 'The current password is wrong.')
    t.equal(await driver.view(), 'account')
    t.equal((await driver.sessions())[0]?.id, before?.id, 'the session is the same')
  })

  t.test('a session left idle past SESSION_TTL says it expired', async (t) => {
    const user = await createUser(app)
    const { driver } = await PageDriver.open(await newContext(t, browser), origin)
    await driver.logIn(user.account, user.password)

    // Redis expires the session's key, as it does once SESSION_TTL has passed with no request.
    const [session] = await app.sessions.list(user.userId)
    if (session === undefined) throw new Error('the login stored no session')
    await expireKeyNow(app, `ACCESS_TOKEN:{${user.userId}}:${session.id}`)
    await driver.refreshView()
    await driver.waitForView('login')
    t.match(await driver.status(), /Your session expired because it was not used for a while/, 'reason expired, in words')
  })
})
