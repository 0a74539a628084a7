import t from 'tap'
import { totpCodeAt, totpStepAt } from '../../src/second-factor/totp.js'
import { createUser, me } from '../helpers/sessions.js'
import { TestClock } from '../helpers/test-clock.js'
import { NO_CHROMIUM, newContext, startPageServer } from './browser-harness.js'
import { PageDriver } from './page-driver.js'
import { sharedChromium } from './shared-chromium.js'

const TOTP_STEP_MS = 30_000

// The second factor on the page, in Chromium: set up with a code computed here from the secret
// the page shows, sign out, sign in with a code, then with a backup code; and turned off.
t.test('two-factor authentication in Chromium', { skip: NO_CHROMIUM }, async (t) => {
  const browser = await sharedChromium()
  const clock = new TestClock()
  const { app, origin } = await startPageServer(t, {}, clock.now)
  const code = (secret: string): string => totpCodeAt(secret, totpStepAt(clock.now()))
  const user = await createUser(app)
  const { driver } = await PageDriver.open(await newContext(t, browser), origin)
  const { page } = driver
  await driver.logIn(user.account, user.password)
  t.equal(await page.locator('#totp-disable-form').isHidden(), true, 'the factor off: no form to turn it off')

  await page.getByRole('button', { name: 'Set up two-factor authentication' }).click()
  await page.locator('#totp-setup-panel').waitFor({ state: 'visible' })
  const secret = (await page.locator('#totp-secret').textContent()) ?? ''
  t.match(secret, /^[A-Z2-7]{32}$/, 'the key as text')
  t.ok(Number(await page.locator('#totp-qr').getAttribute('width')) > 0, 'a QR code drawn, sized by the library')
  await page.getByLabel('Code shown by the app').fill(code(secret))
  await page.getByRole('button', { name: 'Turn on' }).click()
  await page.locator('#totp-backup-panel').waitFor({ state: 'visible' })
  const backupCodes = await page.locator('#totp-backup-codes li').allTextContents()
  t.equal(backupCodes.length, 10, 'the ten backup codes, shown once')
  t.match(await driver.status(), /Two-factor authentication is on/)
  clock.advance(TOTP_STEP_MS)

  await driver.logOut()
  t.equal(await page.locator('#totp-backup-codes li').count(), 0, 'no backup code left in the page once signed out')
  await page.getByLabel('Account', { exact: true }).fill(user.account)
  await page.getByLabel('Password', { exact: true }).fill(user.password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.locator('#second-factor-form').waitFor({ state: 'visible' })
  t.equal(await driver.focusedId(), 'second-factor-code', 'the code field has the focus')
  await page.getByLabel('Code from your authenticator app, or a backup code').fill('000000')
  await page.getByRole('button', { name: 'Verify' }).click()
  await page.locator('#status:has-text("That code is wrong")').waitFor()
  await page.getByLabel('Code from your authenticator app, or a backup code').fill(code(secret))
  await page.getByRole('button', { name: 'Verify' }).click()
  await driver.waitForView('account')
  const [current] = await driver.sessions()
  t.match((await app.sessions.list(user.userId)).find((view) => view.id === current?.id), { amr: ['pwd', 'otp'] }, 'signed in with the code')

  await driver.logOut()
  await page.getByLabel('Account', { exact: true }).fill(user.account)
  await page.getByLabel('Password', { exact: true }).fill(user.password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.locator('#second-factor-form').waitFor({ state: 'visible' })
  await page.getByLabel('Code from your authenticator app, or a backup code').fill(backupCodes[0] ?? '')
  await page.getByRole('button', { name: 'Verify' }).click()
  await driver.waitForView('account')
  t.equal(await driver.shownAccount(), user.account, 'signed in with a backup code')
  await page.locator('#totp-disable-form').waitFor({ state: 'visible' })
  t.equal(await page.locator('#totp-setup').isHidden(), true, 'the factor on: turning it off is offered, setting it up is not')

  const apiLogin = await app.inject({ method: 'POST', url: '/auth/login', payload: { account: user.account, password: user.password } })
  t.equal(apiLogin.json<{ errorCode: string }>().errorCode, '1012')
  clock.advance(TOTP_STEP_MS)
  page.once('dialog', (dialog) => { void dialog.accept() })
  await page.getByLabel('To turn it off: a code from the app, or a backup code').fill(code(secret))
  await page.getByRole('button', { name: 'Turn off two-factor authentication' }).click()
  await page.locator('#status:has-text("Two-factor authentication is off")').waitFor()
  t.same([await page.locator('#totp-setup').isVisible(), await page.locator('#totp-disable-form').isHidden()], [true, true], 'off again: set up is offered once more')
  const plain = await app.inject({ method: 'POST', url: '/auth/login', payload: { account: user.account, password: user.password } })
  t.equal(plain.statusCode, 200, 'the password alone signs in again')
  t.equal((await me(app, plain.json<{ token: string }>().token)).statusCode, 200)
  t.strictSame(driver.problems, [], 'no page error, no CSP refusal')
})
