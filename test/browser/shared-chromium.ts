import type { Browser } from 'playwright-core'
import tap from 'tap'
import { launchChromium } from './browser-harness.js'

let shared: Promise<Browser> | undefined

// One Chromium per test process, shared by its cases: a launch costs a CPU-second or two, more
// than some cases spend in it. Each case makes its own contexts (newContext), so cookies, storage
// and tabs are never shared; the browser closes when the process' tests have ended.
export async function sharedChromium (): Promise<Browser> {
  shared ??= launchChromium(tap)
  return await shared
}
