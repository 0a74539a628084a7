import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import { createUser, type TestUser } from '../helpers/sessions.js'
import { launchChromium, newContext, NO_CHROMIUM, startPageServer } from './browser-harness.js'
import { PageDriver } from './page-driver.js'

const NEW_PASSWORD = 'a new passphrase typed in the browser'
const SHORT_SESSION_TTL_SECONDS = 2

t.test('sessions ended from elsewhere, in Chromium (sliding strategy)', { skip: NO_CHROMIUM }, async (t) => {
  const browser = await launchChromium(t)
  const { app, origin } = await startPageServer(t)
  // Sessions idle for two seconds expire here.
  const shortLived = await startPageServer(t, { SESSION_TTL: String(SHORT_SESSION_TTL_SECONDS) })

  // The same user signed in in two browsers (two contexts: separate cookies, like two devices).
  async function twoDevices (t: Test, user: TestUser): Promise<{ first: PageDriver, second: PageDriver }> {
    const { driver: first } = await PageDriver.open(await newContext(t, browser), origin)
    await first.logIn(user.account, user.password)
    const { driver: second } = await PageDriver.open(await newContext(t, browser), origin)
    await second.logIn(user.account, user.password)
    return { first, second }
  }

  // The first device's session, revoked from the second device's session list.
  async function revokeFirstFromSecond (t: Test, first: PageDriver, second: PageDriver): Promise<void> {
    const [firstSession] = await first.sessions()
    await second.refreshView()
    const listed = await second.sessions()
    t.equal(listed.length, 2, 'the second device lists both sessions')
    const target = listed.find((session) => session.id === firstSession?.id)
    t.equal(target?.current, false, 'the first device\'s session is not "this device" there')
    await second.revoke(target?.id ?? '')
    t.match(await second.status(), /has ended/)
    t.strictSame((await second.sessions()).map((session) => session.current), [true], 'only this device is left')
  }

  t.test('a session revoked from another device shows the reason on the next action', async (t) => {
    const { first, second } = await twoDevices(t, await createUser(app))
    await revokeFirstFromSecond(t, first, second)

    await first.refreshView()
    await first.waitForView('login')
    t.match(await first.status(), /ended from the session list on another device/, 'reason revoked, in words')
    t.equal(await first.focusedId(), 'login-heading')
    t.strictSame([...first.problems, ...second.problems], [])
  })

  t.test('… and when its tab gets the focus back', async (t) => {
    const { first, second } = await twoDevices(t, await createUser(app))
    await revokeFirstFromSecond(t, first, second)

    await first.page.evaluate('window.dispatchEvent(new FocusEvent("focus"))')
    await first.waitForView('login')
    t.match(await first.status(), /ended from the session list on another device/)
  })

  t.test('… and after a reload', async (t) => {
    const { first, second } = await twoDevices(t, await createUser(app))
    await revokeFirstFromSecond(t, first, second)

    await first.reload()
    t.equal(await first.view(), 'login')
    t.match(await first.status(), /ended from the session list on another device/)
  })

  t.test('changing the password keeps this device signed in and tells the other one why it was not', async (t) => {
    const user = await createUser(app)
    const { first, second } = await twoDevices(t, user)
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
    const user = await createUser(shortLived.app)
    const { driver } = await PageDriver.open(await newContext(t, browser), shortLived.origin)
    await driver.logIn(user.account, user.password)

    await sleep((SHORT_SESSION_TTL_SECONDS + 1) * 1000)
    await driver.refreshView()
    await driver.waitForView('login')
    t.match(await driver.status(), /Your session expired because it was not used for a while/, 'reason expired, in words')
  })
})
