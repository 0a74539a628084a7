import type { FastifyInstance } from 'fastify'
import { existsSync } from 'node:fs'
import { chromium, type Browser, type BrowserContext } from 'playwright-core'
import type { Clock } from '../../src/clock.js'
import { buildTestApp, type TestContext } from '../helpers/build-app.js'
import { reachablePostgresUrl } from '../helpers/database.js'

// Debian's Chromium, never a downloaded browser. CI installs it (.ci/run).
export const CHROMIUM_PATH = '/usr/bin/chromium'
export const NO_CHROMIUM: string | false = existsSync(CHROMIUM_PATH)
  ? false
  : `no Chromium at ${CHROMIUM_PATH} (apt-get install chromium)`

// Quiet and offline: no first-run pages, updates, sync or background fetches during a test.
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync'
]
// Long enough for a loaded CI machine, short enough that a page stuck in a view fails soon.
const ACTION_TIMEOUT_MS = 15_000

// A browser of its own, closed at the end of `t`; playwright gives it a fresh temporary profile,
// deleted on close. Test cases share one instead (shared-chromium.ts).
export async function launchChromium (t: TestContext): Promise<Browser> {
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS })
  t.teardown(async () => await browser.close())
  return browser
}

// A context per case, or per user within a case: its own cookies, storage and tabs.
export async function newContext (t: TestContext, browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 375, height: 800 } })
  context.setDefaultTimeout(ACTION_TIMEOUT_MS)
  t.teardown(async () => await context.close())
  return context
}

export interface PageServer {
  app: FastifyInstance
  // e.g. http://127.0.0.1:40123, where the page and the API are.
  origin: string
}

// The real app on a real port, as a browser needs it.
export async function startPageServer (t: TestContext, env: Record<string, string> = {}, clock?: Clock): Promise<PageServer> {
  const { app } = await buildTestApp(t, { env, databaseUrl: await reachablePostgresUrl(), ...(clock === undefined ? {} : { clock }) })
  const origin = await app.listen({ port: 0, host: '127.0.0.1' })
  return { app, origin }
}
