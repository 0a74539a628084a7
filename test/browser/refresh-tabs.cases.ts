import type { Response } from 'playwright-core'
import t from 'tap'
import { createUser } from '../helpers/sessions.js'
import { TestClock } from '../helpers/test-clock.js'
import { newContext, NO_CHROMIUM, startPageServer } from './browser-harness.js'
import { sharedChromium } from './shared-chromium.js'
import { PageDriver } from './page-driver.js'

// `exp` counts whole seconds from the second the token was issued in, so a token lives between
// TTL - 1 and TTL seconds. With 1, a token refreshed late in a second can expire before the
// other tab's retry reaches the server, and that tab rightly refreshes again.
const ACCESS_TOKEN_TTL_SECONDS = 2
// Past this, the access token has expired (by the server's clock, which the test moves).
const UNTIL_EXPIRED_MS = ACCESS_TOKEN_TTL_SECONDS * 1000 + 300
// Enough for both tabs to have their timers set before the shared moment comes, on a busy machine too.
const SHARED_MOMENT_DELAY_MS = 1000
const ROUNDS = 5
// A tab whose click a busy machine delays until the other tab's refresh has answered finds the
// cookie renewed and gets no 1003: right, but that round did not race. Most rounds must.
const RACED_ROUNDS_AT_LEAST = 3

function pathOf (response: Response): string {
  return new URL(response.url()).pathname
}

function isRefresh (response: Response): boolean {
  return pathOf(response) === '/auth/refresh' && response.request().method() === 'POST'
}

t.test('two tabs refreshing at once, in Chromium (refresh strategy)', { skip: NO_CHROMIUM }, async (t) => {
  const browser = await sharedChromium()
  const clock = new TestClock()
  const { app, origin } = await startPageServer(t, {
    AUTH_STRATEGY: 'refresh',
    ACCESS_TOKEN_TTL: String(ACCESS_TOKEN_TTL_SECONDS)
  }, clock.now)

  t.test('both get 1003 at the same moment: one POST /auth/refresh, both stay signed in, every time', async (t) => {
    const user = await createUser(app)
    // Two tabs of one browser: they share the cookies, so one refresh serves both.
    const context = await newContext(t, browser)
    const [first, second] = await PageDriver.openSignedInTabs(context, origin, user.account, user.password)
    t.equal(await second.view(), 'account', 'the second tab shares the session')
    const tabs = [first, second]

    const refreshes: Response[] = []
    context.on('response', (response) => { if (isRefresh(response)) refreshes.push(response) })
    const expiredAnswers = tabs.map(() => [] as Response[])
    tabs.forEach((tab, index) => {
      tab.page.on('response', (response) => {
        if (response.status() === 401 && !isRefresh(response)) expiredAnswers[index]?.push(response)
      })
    })

    let racedRounds = 0
    for (let round = 1; round <= ROUNDS; round++) {
      clock.advance(UNTIL_EXPIRED_MS)
      refreshes.length = 0
      for (const answers of expiredAnswers) answers.length = 0
      const listed = tabs.map(async (tab) => await tab.page.waitForResponse((response) =>
        pathOf(response) === '/auth/sessions' && response.status() === 200))

      // Both tabs press "Refresh" at one moment of the shared clock, not one after the other.
      const moment = Date.now() + SHARED_MOMENT_DELAY_MS
      await Promise.all(tabs.map(async (tab) => await tab.page.evaluate(
        `setTimeout(() => document.getElementById('reload-sessions').click(), ${moment} - Date.now())`)))
      await Promise.all(listed)

      const codesOfTabs = await Promise.all(expiredAnswers.map(async (answers) =>
        await Promise.all(answers.map(async (answer) => (await answer.json() as { errorCode?: string }).errorCode))))
      for (const [index, codes] of codesOfTabs.entries()) {
        t.ok(codes.every((code) => code === '1003'), `round ${round}: tab ${index + 1} got only 1003 if anything (${codes.join(', ')})`)
      }
      t.ok(codesOfTabs.some((codes) => codes.length > 0), `round ${round}: a tab found its token expired`)
      if (codesOfTabs.every((codes) => codes.length > 0)) racedRounds++
      t.equal(refreshes.length, 1, `round ${round}: one POST /auth/refresh for both tabs`)
      t.strictSame(refreshes.map((response) => response.status()), [200], `round ${round}: and it succeeded`)
      for (const [index, tab] of tabs.entries()) {
        t.equal(await tab.view(), 'account', `round ${round}: tab ${index + 1} is signed in`)
        t.equal(await tab.shownAccount(), user.account)
      }
    }

    t.ok(racedRounds >= RACED_ROUNDS_AT_LEAST, `both tabs got 1003 at once in ${racedRounds} of ${ROUNDS} rounds`)
    const sessions = await first.sessions()
    t.equal(sessions.length, 1, 'refreshes renewed the one session, they did not add any')
    t.strictSame([...first.problems, ...second.problems], [])
  })
})
