import t, { type Test } from 'tap'
import { createUser } from '../helpers/sessions.js'
import { newContext, NO_CHROMIUM, startPageServer } from './browser-harness.js'
import { sharedChromium } from './shared-chromium.js'
import { PageDriver, signInOnTwoDevices } from './page-driver.js'

t.test('a session revoked from another device, in Chromium (sliding strategy)', { skip: NO_CHROMIUM }, async (t) => {
  const browser = await sharedChromium()
  const { app, origin } = await startPageServer(t)

  // The first device's session, revoked from the second device's session list.
  async function revokeFirstFromSecond (t: Test, first: PageDriver, second: PageDriver): Promise<void> {
    const [firstSession] = await first.sessions()
    await second.refreshView()
    const listed = await second.sessions()
    t.equal(listed.length, 2, 'the second device lists both sessions')
    const target = listed.find((session) => session.id === firstSession?.id)
    t.equal(target?.current, false, 'the first device\'s session is not "this device" there')
    await second.revoke(target?.id ?? '')
    t.match(await second.status(), /^Signed out .+\.$/)
    t.equal(await second.focusedId(), 'sessions-heading', 'focus stays in the list, not on a removed button')
    t.strictSame((await second.sessions()).map((session) => session.current), [true], 'only this device is left')
  }

  t.test('a session revoked from another device shows the reason on the next action', async (t) => {
    const { first, second } = await signInOnTwoDevices(t, browser, origin, await createUser(app))
    await revokeFirstFromSecond(t, first, second)

    await first.refreshView()
    await first.waitForView('login')
    t.match(await first.status(), /signed out from the session list on another device/, 'reason revoked, in words')
    t.equal(await first.focusedId(), 'login-heading')
    t.strictSame([...first.problems, ...second.problems], [])
  })

  t.test('… and when its tab gets the focus back', async (t) => {
    const { first, second } = await signInOnTwoDevices(t, browser, origin, await createUser(app))
    await revokeFirstFromSecond(t, first, second)

    await first.page.evaluate('window.dispatchEvent(new FocusEvent("focus"))')
    await first.waitForView('login')
    t.match(await first.status(), /signed out from the session list on another device/)
  })

  t.test('… and after a reload', async (t) => {
    const { first, second } = await signInOnTwoDevices(t, browser, origin, await createUser(app))
    await revokeFirstFromSecond(t, first, second)

    await first.reload()
    t.equal(await first.view(), 'login')
    t.match(await first.status(), /signed out from the session list on another device/)
  })

  t.test('"Sign out here" in the list ends this device\'s own session, not announced as ended elsewhere', async (t) => {
    const user = await createUser(app)
    const { driver } = await PageDriver.open(await newContext(t, browser), origin)
    await driver.logIn(user.account, user.password)
    const [own] = await driver.sessions()

    await driver.page.locator(`#session-list > li[data-session-id="${own?.id ?? ''}"]`)
      .getByRole('button', { name: /Sign out this device/ }).click()
    await driver.waitForView('login')
    t.equal(await driver.status(), 'You have signed out this device.')
    await driver.reload()
    t.equal(await driver.view(), 'login', 'the session is over')
    t.strictSame(driver.problems, [])
  })
})
