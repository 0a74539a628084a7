import t from 'tap'
import { buildTestApp } from '../helpers/build-app.js'
import { reachablePostgresUrl } from '../helpers/database.js'
import { freePort } from '../helpers/free-port.js'
import { createUser, uniqueAccount } from '../helpers/sessions.js'
import { startWebhookReceiver, waitFor } from '../helpers/webhook-receiver.js'
import { deliveredMessages, DELIVERY_SECRET } from '../recovery/recovery-requests.js'
import { newContext, NO_CHROMIUM } from './browser-harness.js'
import { PageDriver } from './page-driver.js'
import { sharedChromium } from './shared-chromium.js'

// The password reset on the page, in Chromium: "Forgot password?", the link as the delivery
// webhook received it (PUBLIC_URL is this server), the reset form reading the token from the
// fragment, then signing in with the new password; a used link; two passwords that differ.

const NEW_PASSWORD = 'a passphrase chosen through a reset link'
const SENT = /If an account with that name exists, a link to reset its password is on its way/

t.test('the password reset on the web page, in Chromium', { skip: NO_CHROMIUM }, async (t) => {
  const browser = await sharedChromium()
  const receiver = await startWebhookReceiver(t)
  const port = await freePort()
  const origin = `http://127.0.0.1:${port}`
  const { app } = await buildTestApp(t, {
    env: { DELIVERY_WEBHOOK_URL: receiver.url, DELIVERY_WEBHOOK_SECRET: DELIVERY_SECRET, PUBLIC_URL: origin, DELIVERY_RETRY_MS: '10' },
    databaseUrl: await reachablePostgresUrl()
  })
  await app.listen({ port, host: '127.0.0.1' })

  async function linkFor (account: string, driver: PageDriver): Promise<string> {
    const before = receiver.posts.length
    await driver.page.getByRole('button', { name: 'Forgot password?' }).click()
    t.equal(await driver.focusedId(), 'forgot-heading', 'focus moves to the forgot form')
    await driver.page.getByLabel('Your account').fill(account)
    await driver.page.getByRole('button', { name: 'Send reset link' }).click()
    await driver.page.getByText(SENT).waitFor()
    await waitFor(() => receiver.posts.length > before, 'the reset message')
    return deliveredMessages(receiver).at(-1)?.message.link ?? ''
  }

  t.test('forgot, the link, a new password, signed out elsewhere, signed in with it', async (t) => {
    const user = await createUser(app)
    const { driver: phone } = await PageDriver.open(await newContext(t, browser), origin)
    await phone.logIn(user.account, user.password)

    const { driver } = await PageDriver.open(await newContext(t, browser), origin)
    const requests: string[] = []
    driver.page.on('request', (request) => { requests.push(request.url()) })
    // An account that does not exist: the same words, and nothing sent.
    await driver.page.getByRole('button', { name: 'Forgot password?' }).click()
    await driver.page.getByLabel('Your account').fill(uniqueAccount())
    await driver.page.getByRole('button', { name: 'Send reset link' }).click()
    await driver.page.getByText(SENT).waitFor()
    const unknownStatus = await driver.status()
    await driver.page.getByRole('button', { name: 'Back to sign in' }).first().click()
    await driver.waitForView('login')

    const link = await linkFor(user.account, driver)
    t.equal(await driver.status(), unknownStatus, 'the page says the same for an account that does not exist')
    t.match(link, new RegExp(`^${origin}/#/reset\\?token=[A-Za-z0-9_-]{43}$`), 'the link is PUBLIC_URL\'s reset form')

    await driver.page.goto(link)
    await driver.page.locator('#reset-view').waitFor({ state: 'visible' })
    t.equal(await driver.focusedId(), 'reset-heading')
    await driver.page.locator('#reset-view').getByLabel('Your new password (8 characters or more)').fill(NEW_PASSWORD)
    await driver.page.locator('#reset-view').getByLabel('Your new password again').fill(NEW_PASSWORD)
    await driver.page.getByRole('button', { name: 'Set new password' }).click()
    await driver.waitForView('login')
    t.match(await driver.status(), /Your password was reset/)
    t.equal(await driver.page.evaluate<string>('location.hash'), '', 'the fragment is cleared')
    t.notOk(await driver.page.evaluate<string>('location.href').then((href) => href.includes('token')), 'no token left in the address')
    const token = new URL(link).hash.split('token=')[1] ?? ''
    t.notOk(requests.some((url) => url.includes(token)), 'no request carried the token in its URL')

    await phone.refreshView()
    await phone.waitForView('login')
    t.match(await phone.status(), /reset with a recovery link/, 'the other device says why it was signed out')

    await driver.logIn(user.account, NEW_PASSWORD)
    t.equal(await driver.shownAccount(), user.account, 'the new password signs in')
    t.strictSame(driver.problems, [])
  })

  t.test('a used link says so and offers a new one; two passwords that differ are not sent', async (t) => {
    const user = await createUser(app)
    const { driver } = await PageDriver.open(await newContext(t, browser), origin)
    const link = await linkFor(user.account, driver)
    t.equal((await app.inject({ method: 'POST', url: '/auth/password/reset', payload: { token: new URL(link).hash.split('token=')[1], newPassword: NEW_PASSWORD } })).statusCode, 200,
      'the link is used elsewhere first')

    await driver.page.goto(link)
    await driver.page.locator('#reset-view').waitFor({ state: 'visible' })
    const resets: string[] = []
    driver.page.on('request', (request) => { if (request.url().endsWith('/auth/password/reset')) resets.push(request.url()) })
    await driver.page.locator('#reset-view').getByLabel('Your new password (8 characters or more)').fill(NEW_PASSWORD)
    await driver.page.locator('#reset-view').getByLabel('Your new password again').fill(`${NEW_PASSWORD}!`)
    await driver.page.getByRole('button', { name: 'Set new password' }).click()
    t.equal(await driver.page.evaluate<boolean>('document.getElementById("reset-password-again").validity.customError'), true,
      'the browser flags the second password')
    t.equal(resets.length, 0, 'and sends nothing')

    await driver.page.locator('#reset-view').getByLabel('Your new password again').fill(NEW_PASSWORD)
    await driver.page.getByRole('button', { name: 'Set new password' }).click()
    await driver.page.locator('#forgot-view').waitFor({ state: 'visible' })
    t.match(await driver.status(), /This reset link is invalid, was used already, or has expired/)
    t.equal(await driver.page.evaluate<string>('location.hash'), '', 'the dead link leaves the address too')
    t.strictSame(driver.problems, [])
  })
})
