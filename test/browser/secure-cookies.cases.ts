import t from 'tap'
import { createUser } from '../helpers/sessions.js'
import { newContext, NO_CHROMIUM, startPageServer } from './browser-harness.js'
import { sharedChromium } from './shared-chromium.js'
import { PageDriver } from './page-driver.js'

t.test('the web page with COOKIE_SECURE=true, in Chromium', { skip: NO_CHROMIUM }, async (t) => {
  const browser = await sharedChromium()
  // Over plain http Chromium takes Secure (and so `__Host-`) cookies from loopback addresses only.
  const { app, origin } = await startPageServer(t, { COOKIE_SECURE: 'true' })

  t.test('the browser keeps the __Host- cookies, and the page sends __Host-csrfToken as x-csrf-token', async (t) => {
    const user = await createUser(app)
    const context = await newContext(t, browser)
    const { driver } = await PageDriver.open(context, origin)
    await driver.logIn(user.account, user.password)

    const cookies = await context.cookies()
    t.strictSame(cookies.map((cookie) => cookie.name).sort(), ['__Host-accessToken', '__Host-csrfToken'],
      'Chromium accepted the prefixed cookies, and there is no loginUser')
    const csrfToken = cookies.find((cookie) => cookie.name === '__Host-csrfToken')?.value

    const logout = driver.page.waitForRequest((request) => request.url().endsWith('/auth/logout'))
    await driver.logOut()
    t.equal((await logout).headers()['x-csrf-token'], csrfToken, 'the SDK copied __Host-csrfToken into the header')
    t.equal(await driver.status(), 'You have signed out.')
    t.strictSame(await context.cookies(), [], 'the server cleared the cookies')
    t.strictSame(driver.problems, [])
  })
})
