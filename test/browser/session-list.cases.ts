import t from 'tap'
import { createUser } from '../helpers/sessions.js'
import { NO_CHROMIUM, startPageServer } from './browser-harness.js'
import { sharedChromium } from './shared-chromium.js'
import { PageDriver } from './page-driver.js'

const CHROME_ON_MACOS = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) ' +
  'Chrome/131.0.0.0 Safari/537.36'
const FIREFOX_ON_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0'
const SESSION_TTL_MS = 600_000

t.test('the session list names each device, in Chromium', { skip: NO_CHROMIUM }, async (t) => {
  const browser = await sharedChromium()
  const { app, origin } = await startPageServer(t)

  t.test('a browser\'s session shows the label the server made of its user agent', async (t) => {
    const user = await createUser(app)
    const context = await browser.newContext({ userAgent: CHROME_ON_MACOS })
    t.teardown(async () => await context.close())
    const { driver } = await PageDriver.open(context, origin)
    await driver.logIn(user.account, user.password)
    t.strictSame((await driver.sessions()).map((session) => [session.device, session.deviceType]), [['Chrome 131 on macOS', null]])
    // An app's login on a phone: the list shows the type beside its name.
    const phone = await app.inject({ method: 'POST', url: '/auth/login', payload: { account: user.account, password: user.password, deviceId: 'Pixel 9', deviceType: 'phone' } })
    t.equal(phone.statusCode, 200, phone.body)
    await driver.refreshView()
    t.strictSame((await driver.sessions()).map((session) => [session.device, session.deviceType]),
      [['Pixel 9', '(phone)'], ['Chrome 131 on macOS', null]], 'the device type beside the name, newest first')
    t.strictSame(driver.problems, [])
  })

  t.test('a session stored with the whole User-Agent header is summarised the same way', async (t) => {
    const user = await createUser(app)
    const context = await browser.newContext({ userAgent: CHROME_ON_MACOS })
    t.teardown(async () => await context.close())
    const { driver } = await PageDriver.open(context, origin)
    await driver.logIn(user.account, user.password)
    // Written as a release that kept the header left it: long field names, the raw user agent.
    const sessionId = 'A'.repeat(22)
    const key = `ACCESS_TOKEN:{${user.userId}}:${sessionId}`
    const loginAt = Date.now() - 60_000
    await app.redis.hset(key, 'userId', user.userId, 'userType', 'user', 'account', user.account, 'loginAt', loginAt,
      'userAgent', FIREFOX_ON_WINDOWS, 'ip', '192.0.2.1')
    await app.redis.pexpire(key, SESSION_TTL_MS)
    await app.redis.zadd(`ACCESS_TOKEN_INDEX:{${user.userId}}`, loginAt, sessionId)

    await driver.refreshView()
    t.strictSame((await driver.sessions()).map((session) => [session.id === sessionId, session.device]),
      [[false, 'Chrome 131 on macOS'], [true, 'Firefox 133 on Windows']])
    t.strictSame(driver.problems, [])
  })
})
