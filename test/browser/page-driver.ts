import type { Browser, BrowserContext, Page, Response } from 'playwright-core'
import type { TestContext } from '../helpers/build-app.js'
import type { TestUser } from '../helpers/sessions.js'
import { newContext } from './browser-harness.js'

export type ViewName = 'login' | 'account'

// The password field's label when the login form creates an account (web/src/sign-in-mode.ts).
export const NEW_ACCOUNT_PASSWORD_LABEL = 'Password (8 characters or more)'

export interface ListedSession {
  id: string
  current: boolean
  // The device's name as shown, without the "This device" badge.
  device: string
  // The device type shown beside it, null when none.
  deviceType: string | null
}

// What a person does on the page, in the page's words (labels, buttons), plus what they see.
// Every action waits for the page to settle, so a test reads the outcome, not a moment before it.
export class PageDriver {
  // Uncaught errors and Content-Security-Policy refusals: the page must have none.
  readonly problems: string[] = []

  private constructor (readonly page: Page, readonly origin: string) {
    page.on('pageerror', (error) => { this.problems.push(`page error: ${error.message}`) })
    page.on('console', (message) => {
      if (/Content.Security.Policy/i.test(message.text())) this.problems.push(`CSP: ${message.text()}`)
    })
  }

  // A new tab on the page, settled in one of its views.
  static async open (context: BrowserContext, origin: string): Promise<{ driver: PageDriver, response: Response | null }> {
    const driver = new PageDriver(await context.newPage(), origin)
    const response = await driver.page.goto(`${origin}/`)
    await driver.settled()
    return { driver, response }
  }

  // Two tabs of one browser context, signed in through the first: they share the cookies.
  static async openSignedInTabs (context: BrowserContext, origin: string, account: string, password: string): Promise<[PageDriver, PageDriver]> {
    const { driver: first } = await PageDriver.open(context, origin)
    await first.logIn(account, password)
    const { driver: second } = await PageDriver.open(context, origin)
    return [first, second]
  }

  async reload (): Promise<void> {
    await this.page.reload()
    await this.settled()
  }

  // The first check is over: a view (with its notes, if any), or a message that the server could not say.
  async settled (): Promise<void> {
    await this.page.locator('#loading').waitFor({ state: 'hidden' })
    await this.notesSettled()
  }

  async view (): Promise<ViewName | undefined> {
    if (await this.page.locator('#account-view').isVisible()) return 'account'
    if (await this.page.locator('#login-view').isVisible()) return 'login'
    return undefined
  }

  async waitForView (view: ViewName): Promise<void> {
    await this.page.locator(`#${view}-view`).waitFor({ state: 'visible' })
    await this.notesSettled()
  }

  // The signed-in view asks for the notes once it shows; the panel is aria-busy until they came.
  async notesSettled (): Promise<void> {
    await this.page.locator('#notes-panel:not([aria-busy])').waitFor({ state: 'attached' })
  }

  async status (): Promise<string> {
    return (await this.page.locator('#status').textContent()) ?? ''
  }

  async shownAccount (): Promise<string> {
    return (await this.page.locator('#me-account').textContent()) ?? ''
  }

  async focusedId (): Promise<string | null> {
    return await this.page.locator(':focus').getAttribute('id')
  }

  // `rememberMe: false` unchecks "Remember me" (checked by default).
  async logIn (account: string, password: string, { rememberMe = true } = {}): Promise<void> {
    await this.page.getByLabel('Account', { exact: true }).fill(account)
    await this.page.getByLabel('Password', { exact: true }).fill(password)
    if (!rememberMe) await this.page.getByLabel('Remember me').uncheck()
    await this.page.getByRole('button', { name: 'Sign in' }).click()
    await this.waitForView('account')
  }

  // "Create an account", then the form in that mode; waits until the page has answered.
  async submitSignUp (account: string, password: string): Promise<void> {
    await this.page.getByRole('button', { name: 'Create an account' }).click()
    // Exact: the login view is itself labelled by its heading, "Create an account" in this mode.
    await this.page.getByLabel('Account', { exact: true }).fill(account)
    await this.page.getByLabel(NEW_ACCOUNT_PASSWORD_LABEL, { exact: true }).fill(password)
    await this.page.getByRole('button', { name: 'Create account', exact: true }).click()
    await this.page.locator('#login-submit:enabled').waitFor({ state: 'attached' })
  }

  async signUp (account: string, password: string): Promise<void> {
    await this.submitSignUp(account, password)
    await this.waitForView('account')
  }

  async logOut (): Promise<void> {
    await this.page.getByRole('button', { name: 'Sign out', exact: true }).click()
    await this.waitForView('login')
  }

  // The page asks first (a confirm dialog), and the person says yes.
  async logOutEverywhere (): Promise<void> {
    this.page.once('dialog', (dialog) => { void dialog.accept() })
    await this.page.getByRole('button', { name: 'Sign out everywhere' }).click()
    await this.waitForView('login')
  }

  // Confirmed as above. Stays in the signed-in view; waits until the page has answered and
  // listed the sessions again.
  async signOutOtherDevices (): Promise<void> {
    this.page.once('dialog', (dialog) => { void dialog.accept() })
    await this.page.getByRole('button', { name: 'Sign out other devices' }).click()
    await this.page.locator('#logout-others:enabled').waitFor({ state: 'attached' })
  }

  // Clicks a button that asks first and answers its dialog with Cancel; resolves to the question.
  async cancelConfirm (buttonName: string): Promise<string> {
    const asked = new Promise<string>((resolve) => {
      this.page.once('dialog', (dialog) => {
        resolve(`${dialog.type()}: ${dialog.message()}`)
        void dialog.dismiss()
      })
    })
    await this.page.getByRole('button', { name: buttonName }).click()
    return await asked
  }

  // The "Refresh" button of the session list: asks the server again, as a person would.
  async refreshView (): Promise<void> {
    await this.page.getByRole('button', { name: 'Refresh' }).click()
    await this.page.locator('#reload-sessions:enabled').waitFor({ state: 'attached' })
  }

  async sessions (): Promise<ListedSession[]> {
    const items = await this.page.locator('#session-list > li').all()
    return await Promise.all(items.map(async (item) => ({
      id: (await item.getAttribute('data-session-id')) ?? '',
      current: (await item.getAttribute('data-current')) === 'true',
      device: await item.locator('.session-device').evaluate((name) => name.firstChild?.textContent ?? ''),
      deviceType: await item.locator('.device-type').count() === 0 ? null : await item.locator('.device-type').textContent()
    })))
  }

  async revoke (sessionId: string): Promise<void> {
    const item = this.page.locator(`#session-list > li[data-session-id="${sessionId}"]`)
    await item.getByRole('button').click()
    await item.waitFor({ state: 'detached' })
  }

  async changePassword (oldPassword: string, newPassword: string): Promise<void> {
    await this.page.getByLabel('Current password').fill(oldPassword)
    await this.page.getByLabel(/^New password/).fill(newPassword)
    await this.page.getByRole('button', { name: 'Change password' }).click()
    await this.page.locator('#password-form button:enabled').waitFor()
  }

  async notesPanelVisible (): Promise<boolean> {
    return await this.page.locator('#notes-panel').isVisible()
  }

  // The texts of the listed notes, in the order shown.
  async notes (): Promise<string[]> {
    return await this.page.locator('#note-list .note-text').allTextContents()
  }

  async addNote (text: string): Promise<void> {
    await this.page.getByLabel('New note').fill(text)
    await this.page.getByRole('button', { name: 'Add note' }).click()
    await this.page.locator('#note-form button:enabled').waitFor({ state: 'attached' })
  }

  // The Delete button of the note shown with exactly this text; waits until its request is over.
  async deleteNote (text: string): Promise<void> {
    const item = this.page.locator('#note-list > li').filter({
      has: this.page.locator('.note-text').getByText(text, { exact: true })
    })
    const noteId = (await item.getAttribute('data-note-id')) ?? ''
    await item.getByRole('button', { name: /^Delete the note/ }).click()
    await this.page.locator(`#note-list > li[data-note-id="${noteId}"] button:disabled`).waitFor({ state: 'detached' })
  }

  // What the page left in the browser besides the server's cookies: nothing, if it stores nothing.
  async pageStorageEntries (): Promise<number> {
    return await this.page.evaluate<number>('localStorage.length + sessionStorage.length')
  }
}

export interface TwoDevices {
  first: PageDriver
  second: PageDriver
}

// The same user signed in in two browsers (two contexts: separate cookies, like two devices).
export async function signInOnTwoDevices (t: TestContext, browser: Browser, origin: string, user: TestUser): Promise<TwoDevices> {
  const { driver: first } = await PageDriver.open(await newContext(t, browser), origin)
  await first.logIn(user.account, user.password)
  const { driver: second } = await PageDriver.open(await newContext(t, browser), origin)
  await second.logIn(user.account, user.password)
  return { first, second }
}
