import { mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { hashPassword } from '../../src/passwords/password-hasher.js'
import { TEST_PASSWORD } from '../helpers/sessions.js'
import { launchChromium, startPageServer } from './browser-harness.js'
import { PageDriver } from './page-driver.js'

// Regenerates the picture of the page in docs/web-page.md, signed in on a phone-sized screen with a
// second device in the session list and a note from the example resource:
//   npm run build && node dist/test/browser/take-screenshot.js [docs/web-page.png]
const OUTPUT = resolve(process.argv[2] ?? 'docs/web-page.png')
const ACCOUNT = 'ada@example.com'
const PHONE_USER_AGENT = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 ' +
  '(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1'

const PHONE_VIEWPORT = { width: 375, height: 740 }

const teardowns: Array<() => unknown> = []
const context = { teardown: (fn: () => unknown) => { teardowns.push(fn) } }
try {
  const browser = await launchChromium(context)
  const { app, origin } = await startPageServer(context)
  await app.users.create({ account: ACCOUNT, passwordHash: await hashPassword(TEST_PASSWORD), userType: 'user' })

  const phone = await browser.newContext({ userAgent: PHONE_USER_AGENT })
  const { driver: onPhone } = await PageDriver.open(phone, origin)
  await onPhone.logIn(ACCOUNT, TEST_PASSWORD)
  await phone.close()

  const screen = await browser.newContext({ viewport: PHONE_VIEWPORT, deviceScaleFactor: 2 })
  context.teardown(async () => await screen.close())
  const { driver } = await PageDriver.open(screen, origin)
  await driver.logIn(ACCOUNT, TEST_PASSWORD)
  await driver.addNote('Call the dentist on Monday')
  // The picture shows the page as it rests, not the focus ring the login just moved.
  await driver.page.evaluate('document.activeElement?.blur()')
  mkdirSync(dirname(OUTPUT), { recursive: true })
  await driver.page.screenshot({ path: OUTPUT, fullPage: true })
  console.log(`wrote ${OUTPUT}`)
} finally {
  for (const teardown of teardowns.reverse()) await teardown()
}
