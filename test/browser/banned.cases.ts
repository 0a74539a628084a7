import t from 'tap'
import { createUser } from '../helpers/sessions.js'
import { newContext, NO_CHROMIUM, startPageServer } from './browser-harness.js'
import { sharedChromium } from './shared-chromium.js'
import { PageDriver } from './page-driver.js'

const HOUR_MS = 60 * 60 * 1000

t.test('a banned account on the page, in Chromium (sliding strategy)', { skip: NO_CHROMIUM }, async (t) => {
  const browser = await sharedChromium()
  const { app, origin } = await startPageServer(t)

  t.test('the ban signs the page out saying why, and the sign-in form says until when', async (t) => {
    const user = await createUser(app)
    const { driver } = await PageDriver.open(await newContext(t, browser), origin)
    await driver.logIn(user.account, user.password)
    await app.sessions.ban(user.userId, { reason: 'spam', until: new Date(Date.now() + HOUR_MS) })

    await driver.refreshView()
    await driver.waitForView('login')
    t.equal(await driver.status(), 'Signed out. This account was disabled, so every session ended.', 'reason banned, in words, without "sign in again"')

    await driver.page.getByLabel('Account', { exact: true }).fill(user.account)
    await driver.page.getByLabel('Password', { exact: true }).fill(user.password)
    await driver.page.getByRole('button', { name: 'Sign in' }).click()
    await driver.page.locator('#status', { hasText: 'This account is disabled until' }).waitFor()
    t.equal(await driver.view(), 'login', 'the right password opens nothing')

    await app.sessions.unban(user.userId)
    await driver.logIn(user.account, user.password)
    t.equal(await driver.shownAccount(), user.account, 'signed in once the ban is lifted')
    t.strictSame(driver.problems, [])
  })
})
