import t from 'tap'
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../../src/passwords/password-hasher.js'
import { ACCOUNT_MAX_LENGTH } from '../../src/users/account.js'
import { createUser, uniqueAccount } from '../helpers/sessions.js'
import { newContext, NO_CHROMIUM, startPageServer } from './browser-harness.js'
import { sharedChromium } from './shared-chromium.js'
import { PageDriver } from './page-driver.js'

const NEW_PASSWORD = 'a passphrase chosen on the page'

t.test('creating an account on the web page, in Chromium (sliding strategy)', { skip: NO_CHROMIUM }, async (t) => {
  const browser = await sharedChromium()
  const { app, origin } = await startPageServer(t)

  t.test('a newcomer creates an account through the page and lands signed in', async (t) => {
    const account = uniqueAccount()
    const { driver } = await PageDriver.open(await newContext(t, browser), origin)
    await driver.signUp(account, NEW_PASSWORD)
    t.equal(await driver.shownAccount(), account)
    t.equal(await driver.focusedId(), 'account-heading', 'focus moves to the account view')
    t.equal((await driver.sessions()).length, 1, 'signed in with one session')
    t.equal(await driver.status(), '', 'no error left on screen')

    await driver.reload()
    t.equal(await driver.view(), 'account', 'the session survives a reload')
    await driver.logOut()
    await t.resolveMatch(driver.page.locator('#login-heading').textContent(), 'Sign in',
      'signed out, the form signs in: the account exists now')
    await driver.logIn(account, NEW_PASSWORD)
    t.equal(await driver.shownAccount(), account, 'the password chosen on the page works')
    t.strictSame(driver.problems, [])
  })

  t.test('the form asks for what the API accepts: the password rules of passwordSchema', async (t) => {
    const { driver } = await PageDriver.open(await newContext(t, browser), origin)
    const password = driver.page.locator('#login-password')
    t.equal(await password.getAttribute('minlength'), null, 'signing in takes a password set under older rules')
    t.equal(await password.getAttribute('maxlength'), String(PASSWORD_MAX_LENGTH))
    t.equal(await driver.page.locator('#login-account').getAttribute('maxlength'), String(ACCOUNT_MAX_LENGTH))

    await driver.page.getByRole('button', { name: 'Create an account' }).click()
    t.equal(await driver.focusedId(), 'login-heading', 'switching moves focus to the reworded heading')
    await t.resolveMatch(driver.page.locator('#login-heading').textContent(), 'Create an account')
    t.equal(await password.getAttribute('minlength'), String(PASSWORD_MIN_LENGTH))
    t.equal(await password.getAttribute('maxlength'), String(PASSWORD_MAX_LENGTH))
    t.equal(await password.getAttribute('autocomplete'), 'new-password', 'password managers offer a new password')
    t.equal(await driver.page.locator('#new-password').getAttribute('minlength'), String(PASSWORD_MIN_LENGTH),
      'and so does the password change form')

    const requests: string[] = []
    driver.page.on('request', (request) => { requests.push(new URL(request.url()).pathname) })
    await driver.page.getByLabel('Account', { exact: true }).fill(uniqueAccount())
    await password.fill('x'.repeat(PASSWORD_MIN_LENGTH - 1))
    await driver.page.getByRole('button', { name: 'Create account', exact: true }).click()
    t.equal(await driver.page.evaluate<boolean>('document.getElementById("login-password").validity.tooShort'), true,
      'a short password is flagged by the browser')
    t.notOk(requests.includes('/auth/register'), 'and never sent')
    t.equal(await driver.view(), 'login')
  })

  t.test('an account that exists already: the 409 in words, still in the create form', async (t) => {
    const user = await createUser(app)
    const { driver } = await PageDriver.open(await newContext(t, browser), origin)
    await driver.submitSignUp(user.account, NEW_PASSWORD)
    t.match(await driver.status(), /An account with that name exists already/)
    t.equal(await driver.view(), 'login')
    await t.resolveMatch(driver.page.locator('#login-heading').textContent(), 'Create an account')
    t.strictSame(driver.problems, [])
  })

  t.test('input the API refuses (an account of spaces only): the 400 with the server\'s reason', async (t) => {
    const { driver } = await PageDriver.open(await newContext(t, browser), origin)
    await driver.submitSignUp('   ', NEW_PASSWORD)
    t.match(await driver.status(), /^That was not accepted: .*account/)
    t.equal(await driver.view(), 'login')
  })

  t.test('switching back to "Sign in instead" signs in with the form', async (t) => {
    const user = await createUser(app)
    const { driver } = await PageDriver.open(await newContext(t, browser), origin)
    await driver.page.getByRole('button', { name: 'Create an account' }).click()
    await driver.page.getByRole('button', { name: 'Sign in instead' }).click()
    t.equal(await driver.page.locator('#login-password').getAttribute('autocomplete'), 'current-password')
    await driver.logIn(user.account, user.password)
    t.equal(await driver.shownAccount(), user.account)
  })
})

t.test('creating an account where the server does not allow it, in Chromium', { skip: NO_CHROMIUM }, async (t) => {
  const browser = await sharedChromium()

  t.test('REGISTRATION_OPEN=false: the 403 says registration is closed', async (t) => {
    const { origin } = await startPageServer(t, { REGISTRATION_OPEN: 'false' })
    const { driver } = await PageDriver.open(await newContext(t, browser), origin)
    await driver.submitSignUp(uniqueAccount(), NEW_PASSWORD)
    t.match(await driver.status(), /registration is closed on this server/)
    t.equal(await driver.view(), 'login')
    t.strictSame(driver.problems, [])
  })

  t.test('past RATE_LIMIT_REGISTER_IP: the 429 says to wait', async (t) => {
    const { origin } = await startPageServer(t, { RATE_LIMIT_REGISTER_IP: '1' })
    const { driver } = await PageDriver.open(await newContext(t, browser), origin)
    await driver.signUp(uniqueAccount(), NEW_PASSWORD)
    await driver.logOut()

    await driver.submitSignUp(uniqueAccount(), NEW_PASSWORD)
    t.match(await driver.status(), /^Too many attempts/)
    t.equal(await driver.view(), 'login')
  })
})
