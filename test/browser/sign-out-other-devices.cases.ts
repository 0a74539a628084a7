import t from 'tap'
import { createUser, logIn, me } from '../helpers/sessions.js'
import { newContext, NO_CHROMIUM, startPageServer } from './browser-harness.js'
import { sharedChromium } from './shared-chromium.js'
import { PageDriver, signInOnTwoDevices } from './page-driver.js'

t.test('"Sign out other devices", in Chromium (sliding strategy)', { skip: NO_CHROMIUM }, async (t) => {
  const browser = await sharedChromium()
  const { app, origin } = await startPageServer(t)

  t.test('the other browser and an app are signed out and told why; the clicking one stays', async (t) => {
    const user = await createUser(app)
    const { first, second } = await signInOnTwoDevices(t, browser, origin, user)
    const phoneApp = await logIn(app, user, 'phone-app')
    const [own] = await second.sessions()

    await second.signOutOtherDevices()
    t.equal(await second.status(), 'Signed out 2 other sessions; this device stays signed in.')
    t.equal(await second.view(), 'account', 'the clicking browser stays signed in')
    t.strictSame((await second.sessions()).map((session) => [session.id, session.current]), [[own?.id, true]],
      'and lists its own session alone')

    await first.refreshView()
    await first.waitForView('login')
    t.match(await first.status(), /signed out from another device/, 'reason logout_others, in words')
    t.equal(await first.focusedId(), 'login-heading')
    t.equal((await me(app, phoneApp.token)).json().reason, 'logout_others', 'the app signed in through the API is out too')

    await second.reload()
    t.equal(await second.view(), 'account', 'after a reload, still signed in')
    t.strictSame([...first.problems, ...second.problems], [])
  })

  t.test('it asks first; Cancel keeps the other devices signed in', async (t) => {
    const user = await createUser(app)
    const { first, second } = await signInOnTwoDevices(t, browser, origin, user)

    const question = await second.cancelConfirm('Sign out other devices')
    t.match(question, /^confirm: Sign out every other device\? /, 'a confirm dialog says what it will do')
    await second.refreshView()
    t.equal((await second.sessions()).length, 2, 'cancelled: both sessions are listed')
    t.equal(await second.status(), '', 'and nothing was announced')
    await first.refreshView()
    t.equal(await first.view(), 'account', 'the other browser is still signed in')
    t.strictSame([...first.problems, ...second.problems], [])
  })

  t.test('with no other device, it says so and changes nothing', async (t) => {
    const user = await createUser(app)
    const { driver } = await PageDriver.open(await newContext(t, browser), origin)
    await driver.logIn(user.account, user.password)

    await driver.signOutOtherDevices()
    t.equal(await driver.status(), 'No other device was signed in.')
    t.equal(await driver.view(), 'account')
    t.equal((await driver.sessions()).length, 1)
    t.strictSame(driver.problems, [])
  })
})
