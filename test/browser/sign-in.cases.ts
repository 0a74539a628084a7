import t from 'tap'
import { createUser } from '../helpers/sessions.js'
import { newContext, NO_CHROMIUM, startPageServer } from './browser-harness.js'
import { sharedChromium } from './shared-chromium.js'
import { PageDriver, signInOnTwoDevices } from './page-driver.js'

// The cookies a signed-in browser holds are the server's: the page adds none of its own, and
// the page does not need the account in a script-readable cookie (no loginUser by default).
const SERVER_COOKIES = ['accessToken', 'csrfToken']

t.test('the web page in Chromium (sliding strategy)', { skip: NO_CHROMIUM }, async (t) => {
  const browser = await sharedChromium()
  const { app, origin } = await startPageServer(t)

  t.test('logs in through the form, shows the account, and stays signed in across a reload', async (t) => {
    const user = await createUser(app)
    const context = await newContext(t, browser)
    const { driver, response } = await PageDriver.open(context, origin)
    t.match(response?.headers()['content-security-policy'], /script-src 'self'/, 'served under the strict CSP')
    t.equal(await driver.view(), 'login', 'no session yet: the login form')
    t.equal(await driver.status(), '', 'and no "signed out" message for someone who was never signed in')

    await driver.logIn(user.account, user.password)
    t.equal(await driver.shownAccount(), user.account)
    t.equal(await driver.focusedId(), 'account-heading', 'focus moves to the account view')
    const sessions = await driver.sessions()
    t.equal(sessions.length, 1)
    t.equal(sessions[0]?.current, true, 'this device is marked')
    await t.resolveMatch(driver.page.locator('.this-device').textContent(), 'This device')

    const cookies = (await context.cookies()).map((cookie) => cookie.name).sort()
    t.strictSame(cookies, SERVER_COOKIES, 'only the cookies the server set')
    t.ok((await context.cookies()).every((cookie) => cookie.expires > 0), '"Remember me" is checked by default: the cookies outlive the browser')
    t.equal(await driver.pageStorageEntries(), 0, 'nothing in localStorage or sessionStorage')
    t.equal(await driver.page.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth'), true,
      'no sideways scrolling on a 375 px wide screen')

    await driver.reload()
    t.equal(await driver.view(), 'account', 'still signed in after a reload')
    t.equal(await driver.shownAccount(), user.account)
    t.strictSame(driver.problems, [])
  })

  t.test('a signed-out visit logs nothing in the console, before a sign-in and after a sign-out', async (t) => {
    const user = await createUser(app)
    const context = await newContext(t, browser)
    const logged: string[] = []
    context.on('console', (message) => { logged.push(`${message.type()}: ${message.text()}`) })
    const asked: string[] = []
    context.on('request', (request) => { if (request.url().endsWith('/auth/me')) asked.push(request.url()) })

    const { driver } = await PageDriver.open(context, origin)
    t.equal(await driver.view(), 'login', 'the login form')
    t.strictSame(logged, [], 'nothing in the console (no 401 logged as a failed request)')
    t.strictSame(asked, [], 'without the CSRF cookie the page knows without asking GET /auth/me')

    await driver.logIn(user.account, user.password)
    t.ok(asked.length > 0, 'signed in, it asks')
    await driver.logOut()
    await driver.reload()
    t.equal(await driver.view(), 'login')
    t.strictSame(logged, [], 'a reload after signing out logs nothing either')
  })

  t.test('a wrong password keeps the login form and says so', async (t) => {
    const user = await createUser(app)
    const { driver } = await PageDriver.open(await newContext(t, browser), origin)
    await driver.page.getByLabel('Account', { exact: true }).fill(user.account)
    await driver.page.getByLabel('Password', { exact: true }).fill('not the password at all')
    await driver.page.getByRole('button', { name: 'Sign in' }).click()
    await driver.page.locator('#status', { hasText: 'Wrong account or password' }).waitFor()
    t.equal(await driver.view(), 'login')
    t.equal(await driver.focusedId(), 'login-password', 'the password is selected to type again')
  })

  t.test('sign out shows the login form again and ends the session', async (t) => {
    const user = await createUser(app)
    const context = await newContext(t, browser)
    const { driver } = await PageDriver.open(context, origin)
    await driver.logIn(user.account, user.password, { rememberMe: false })
    const accessCookie = (await context.cookies()).find((cookie) => cookie.name === 'accessToken')
    t.equal(accessCookie?.expires, -1, '"Remember me" unchecked: a browser-session cookie')

    await driver.logOut()
    t.equal(await driver.status(), 'You have signed out.')
    t.equal(await driver.focusedId(), 'login-heading', 'focus moves to the login form\'s heading')
    t.notOk((await context.cookies()).some((cookie) => cookie.name === 'accessToken'), 'the server cleared the cookie')
    await driver.reload()
    t.equal(await driver.view(), 'login', 'a reload finds no session')
    t.strictSame(driver.problems, [])
  })

  t.test('signing out in one tab signs the other tabs of the browser out at once, saying why', async (t) => {
    const user = await createUser(app)
    const context = await newContext(t, browser)
    const [first, second] = await PageDriver.openSignedInTabs(context, origin, user.account, user.password)
    t.equal(await second.view(), 'account', 'the second tab shares the session')

    await first.logOut()
    await second.waitForView('login')
    t.match(await second.status(), /You signed out in another tab or window/, 'without a click or a reload')
    t.equal(await first.status(), 'You have signed out.', 'the tab that signed out says it plainly')
    t.strictSame([...first.problems, ...second.problems], [])
  })

  t.test('sign out everywhere ends every session; the other browser shows why', async (t) => {
    const user = await createUser(app)
    const { driver: here } = await PageDriver.open(await newContext(t, browser), origin)
    const { driver: elsewhere } = await PageDriver.open(await newContext(t, browser), origin)
    await here.logIn(user.account, user.password)
    await elsewhere.logIn(user.account, user.password)

    await here.logOutEverywhere()
    t.equal(await here.status(), 'You have signed out everywhere (2 sessions ended).')

    await elsewhere.refreshView()
    await elsewhere.waitForView('login')
    t.match(await elsewhere.status(), /You signed out everywhere/, 'reason logout_all, in words')
    t.equal(await elsewhere.focusedId(), 'login-heading')
    t.strictSame([...here.problems, ...elsewhere.problems], [])
  })

  t.test('sign out everywhere asks first; Cancel keeps every session', async (t) => {
    const user = await createUser(app)
    const { first, second } = await signInOnTwoDevices(t, browser, origin, user)

    const question = await second.cancelConfirm('Sign out everywhere')
    t.match(question, /^confirm: Sign out everywhere\? /, 'a confirm dialog says what it will do')
    await second.refreshView()
    t.equal(await second.view(), 'account', 'cancelled: still signed in')
    t.equal((await app.sessions.list(user.userId)).length, 2, 'both sessions live on the server')
    await first.refreshView()
    t.equal(await first.view(), 'account', 'and the other browser is signed in')

    await second.logOutEverywhere()
    t.equal((await app.sessions.list(user.userId)).length, 0, 'confirmed, both end')
    t.strictSame([...first.problems, ...second.problems], [])
  })

  t.test('a session ended to make room for a login elsewhere says so in words', async (t) => {
    const user = await createUser(app)
    const { driver } = await PageDriver.open(await newContext(t, browser), origin)
    await driver.logIn(user.account, user.password)
    const [session] = await driver.sessions()

    // What a login beyond SESSION_MAX_PER_USER does to the user's oldest session.
    await app.sessionCheck.store.revoke(user.userId, session?.id ?? '', 'evicted')
    await driver.refreshView()
    await driver.waitForView('login')
    t.match(await driver.status(), /This account signed in on too many devices/, 'reason evicted, in words')
    t.strictSame(driver.problems, [])
  })

  t.test('keyboard only: Tab to the fields, Enter to sign in, Tab and Enter to sign out', async (t) => {
    const user = await createUser(app)
    const { driver } = await PageDriver.open(await newContext(t, browser), origin)
    const { keyboard } = driver.page

    await keyboard.press('Tab')
    t.equal(await driver.focusedId(), 'login-account', 'the first Tab reaches the account field')
    await keyboard.type(user.account)
    await keyboard.press('Tab')
    t.equal(await driver.focusedId(), 'login-password')
    await keyboard.type(user.password)
    await keyboard.press('Enter')
    await driver.waitForView('account')
    t.equal(await driver.shownAccount(), user.account)
    t.equal(await driver.focusedId(), 'account-heading')

    await keyboard.press('Tab')
    t.equal(await driver.focusedId(), 'logout', 'the next Tab reaches "Sign out"')
    await keyboard.press('Enter')
    await driver.waitForView('login')
    t.equal(await driver.status(), 'You have signed out.')
    await keyboard.press('Tab')
    t.equal(await driver.focusedId(), 'login-account', 'ready to sign in again')
    t.strictSame(driver.problems, [])
  })
})
