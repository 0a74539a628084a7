import type { Route } from 'playwright-core'
import t from 'tap'
import { currentCode, enableTotp } from '../helpers/second-factor.js'
import { createUser, logIn, me } from '../helpers/sessions.js'
import { TestClock } from '../helpers/test-clock.js'
import { NO_CHROMIUM, newContext, startPageServer } from './browser-harness.js'
import { PageDriver, signInOnTwoDevices } from './page-driver.js'
import { sharedChromium } from './shared-chromium.js'

// The page meets 403 "1005" (an action that needs a recent sign-in): it asks for the password,
// re-authenticates and repeats the action. This server's own routes the page calls do not ask
// for one, so the first POST /auth/logout-others is answered 1005 by the browser itself, as a
// server with that rule would; everything else, the repeat included, reaches the real server.
const RECENT_AUTH_REQUIRED = {
  status: 403,
  contentType: 'application/json',
  body: JSON.stringify({ code: 0, errorCode: '1005', info: 'Sign in again to do this: the last sign-in must be within 300 seconds', maxAge: 300 })
}

async function firstLogoutOthersNeedsRecentSignIn (driver: PageDriver): Promise<void> {
  let answered = false
  await driver.page.route('**/auth/logout-others', async (route: Route) => {
    if (answered) return await route.continue()
    answered = true
    return await route.fulfill(RECENT_AUTH_REQUIRED)
  })
}

async function clickSignOutOtherDevices (driver: PageDriver): Promise<void> {
  driver.page.once('dialog', (dialog) => { void dialog.accept() })
  await driver.page.getByRole('button', { name: 'Sign out other devices' }).click()
  await driver.page.locator('#reauth-dialog[open]').waitFor()
}

t.test('a 1005 in Chromium: the page asks for the password again', { skip: NO_CHROMIUM }, async (t) => {
  const browser = await sharedChromium()
  const clock = new TestClock()
  const { app, origin } = await startPageServer(t, {}, clock.now)

  t.test('the password again, then the action once more', async (t) => {
    const user = await createUser(app)
    const { first, second } = await signInOnTwoDevices(t, browser, origin, user)
    const phone = await logIn(app, user, 'phone')
    await firstLogoutOthersNeedsRecentSignIn(second)
    clock.advance(600_000)

    await clickSignOutOtherDevices(second)
    t.match(await second.page.locator('#reauth-reason').textContent(), /signed in within the last 5 minutes/, 'says how recent, in words')
    await second.page.getByLabel('Your password', { exact: true }).fill('not the password')
    await second.page.getByRole('button', { name: 'Confirm' }).click()
    await second.page.locator('#reauth-problem:not(:empty)').waitFor()
    t.equal(await second.page.locator('#reauth-problem').textContent(), 'That password is wrong. Try again.')
    t.ok(await second.page.locator('#reauth-dialog[open]').isVisible(), 'the dialog stays open')

    await second.page.getByLabel('Your password', { exact: true }).fill(user.password)
    await second.page.getByRole('button', { name: 'Confirm' }).click()
    await second.page.locator('#reauth-dialog[open]').waitFor({ state: 'detached' })
    await second.page.locator('#logout-others:enabled').waitFor({ state: 'attached' })
    t.equal(await second.status(), 'Signed out 2 other sessions; this device stays signed in.', 'the action ran again, on the server')
    const [own] = await second.sessions()
    const view = (await app.sessions.list(user.userId)).find((session) => session.id === own?.id)
    t.equal(view?.authAt, clock.now(), 'this session signed in again now')
    t.equal((await me(app, phone.token)).json().reason, 'logout_others')
    await first.refreshView()
    await first.waitForView('login')
    t.strictSame([...first.problems, ...second.problems], [])
  })

  t.test('Cancel: nothing done, still signed in, and the page says why', async (t) => {
    const user = await createUser(app)
    const { first, second } = await signInOnTwoDevices(t, browser, origin, user)
    await firstLogoutOthersNeedsRecentSignIn(second)

    await clickSignOutOtherDevices(second)
    await second.page.getByRole('button', { name: 'Cancel' }).click()
    await second.page.locator('#logout-others:enabled').waitFor({ state: 'attached' })
    t.equal(await second.page.locator('#reauth-dialog[open]').count(), 0, 'the dialog closed')
    t.equal(await second.status(), 'Not done: this needs a recent sign-in. Try again and enter your password when asked.')
    t.equal(await second.view(), 'account', 'still signed in')
    await first.refreshView()
    t.equal(await first.view(), 'account', 'the other device too')
    t.strictSame([...first.problems, ...second.problems], [])
  })

  t.test('an account with a second factor: the dialog asks for its code too', async (t) => {
    const user = await createUser(app)
    const { driver } = await PageDriver.open(await newContext(t, browser), origin)
    await driver.logIn(user.account, user.password)
    // The factor turned on from another device: this page's session lives on.
    const { secret } = await enableTotp(app, await logIn(app, user, 'phone'), clock)
    await firstLogoutOthersNeedsRecentSignIn(driver)
    clock.advance(600_000)

    await clickSignOutOtherDevices(driver)
    t.ok(await driver.page.locator('#reauth-code-field').isHidden(), 'at first the password only')
    await driver.page.getByLabel('Your password', { exact: true }).fill(user.password)
    await driver.page.getByRole('button', { name: 'Confirm' }).click()
    await driver.page.locator('#reauth-code-field').waitFor({ state: 'visible' })
    t.equal(await driver.page.locator('#reauth-problem').textContent(), 'Enter the code from your authenticator app, or a backup code, as well.')
    t.equal(await driver.focusedId(), 'reauth-code', 'the code field has the focus')
    await driver.page.getByLabel('Your code: from the authenticator app, or a backup code').fill(currentCode(secret, clock))
    await driver.page.getByRole('button', { name: 'Confirm' }).click()
    await driver.page.locator('#reauth-dialog[open]').waitFor({ state: 'detached' })
    await driver.page.locator('#logout-others:enabled').waitFor({ state: 'attached' })
    t.equal(await driver.status(), 'Signed out 1 other session; this device stays signed in.', 'the action ran again, on the server')
    t.strictSame(driver.problems, [])
  })
})
