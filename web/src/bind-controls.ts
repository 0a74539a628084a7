import type { AccountPage } from './account-page.js'
import { buttonsOf, elementById, whileBusy } from './dom.js'
import { otherSignInMode, showSignInMode, signInMode } from './sign-in-mode.js'
import { clearAnnouncement } from './status.js'

const loginForm = elementById('login-form', HTMLFormElement)
const passwordForm = elementById('password-form', HTMLFormElement)
const passwordField = elementById('login-password', HTMLInputElement)
// Unchecked: a browser session (rememberMe: false), whose cookies end with the browser.
const rememberMeBox = elementById('login-remember', HTMLInputElement)
const switchModeButton = elementById('switch-mode', HTMLButtonElement)
const noteForm = elementById('note-form', HTMLFormElement)
const logoutButton = elementById('logout', HTMLButtonElement)
const logoutAllButton = elementById('logout-all', HTMLButtonElement)
const logoutOthersButton = elementById('logout-others', HTMLButtonElement)
const reloadButton = elementById('reload-sessions', HTMLButtonElement)
const secondFactorForm = elementById('second-factor-form', HTMLFormElement)
const secondFactorCode = elementById('second-factor-code', HTMLInputElement)
const secondFactorCancel = elementById('second-factor-cancel', HTMLButtonElement)
const totpSetupButton = elementById('totp-setup', HTMLButtonElement)
const totpConfirmForm = elementById('totp-confirm-form', HTMLFormElement)
const totpDisableForm = elementById('totp-disable-form', HTMLFormElement)

// The buttons that end other devices' sessions ask first: a slip of the finger would sign out
// every phone and browser of the account.
const CONFIRM_SIGN_OUT_EVERYWHERE = 'Sign out everywhere? Every device signed in to this account is signed out, this one included.'
const CONFIRM_SIGN_OUT_OTHERS = 'Sign out every other device? This one stays signed in.'
const CONFIRM_TOTP_OFF = 'Turn off two-factor authentication? Every other device is signed out.'

function field (form: HTMLFormElement, name: string): string {
  const value = new FormData(form).get(name)
  return typeof value === 'string' ? value : ''
}

// Wires the page's forms and buttons to what they do, and re-checks the session when the
// user comes back to the tab: a session ended elsewhere shows its reason without a click.
export function bindControls (page: AccountPage): void {
  loginForm.addEventListener('submit', (event) => {
    event.preventDefault()
    void whileBusy([...buttonsOf(loginForm), switchModeButton], async () => {
      const account = field(loginForm, 'account').trim()
      const password = field(loginForm, 'password')
      const rememberMe = rememberMeBox.checked
      const signedIn = signInMode() === 'create-account'
        ? await page.createAccount(account, password, rememberMe)
        : await page.signIn(account, password, rememberMe) !== 'failed'
      if (signedIn) loginForm.reset()
      else passwordField.select()
    })
  })
  secondFactorForm.addEventListener('submit', (event) => {
    event.preventDefault()
    void whileBusy(buttonsOf(secondFactorForm), async () => {
      if (await page.completeSecondFactor(field(secondFactorForm, 'code')) === 'failed') secondFactorCode.select()
    })
  })
  secondFactorCancel.addEventListener('click', () => {
    clearAnnouncement()
    page.abandonSecondFactor()
    passwordField.focus()
  })

  totpSetupButton.addEventListener('click', () => {
    void whileBusy([totpSetupButton], async () => { await page.twoFactor.setUp() })
  })
  totpConfirmForm.addEventListener('submit', (event) => {
    event.preventDefault()
    void whileBusy(buttonsOf(totpConfirmForm), async () => {
      if (await page.twoFactor.confirm(field(totpConfirmForm, 'code'))) totpConfirmForm.reset()
    })
  })
  totpDisableForm.addEventListener('submit', (event) => {
    event.preventDefault()
    if (!window.confirm(CONFIRM_TOTP_OFF)) return
    void whileBusy(buttonsOf(totpDisableForm), async () => {
      if (await page.twoFactor.disable(field(totpDisableForm, 'code'))) totpDisableForm.reset()
      await page.check()
    })
  })
  switchModeButton.addEventListener('click', () => {
    clearAnnouncement()
    showSignInMode(otherSignInMode(), true)
  })

  passwordForm.addEventListener('submit', (event) => {
    event.preventDefault()
    void whileBusy(buttonsOf(passwordForm), async () => {
      if (await page.changePassword(field(passwordForm, 'oldPassword'), field(passwordForm, 'newPassword'))) {
        passwordForm.reset()
      }
    })
  })

  noteForm.addEventListener('submit', (event) => {
    event.preventDefault()
    void whileBusy(buttonsOf(noteForm), async () => {
      if (await page.notes.add(field(noteForm, 'text'))) noteForm.reset()
    })
  })

  const endingButtons = [logoutButton, logoutAllButton, logoutOthersButton]
  logoutButton.addEventListener('click', () => {
    void whileBusy(endingButtons, async () => { await page.signOut() })
  })
  logoutAllButton.addEventListener('click', () => {
    if (!window.confirm(CONFIRM_SIGN_OUT_EVERYWHERE)) return
    void whileBusy(endingButtons, async () => { await page.signOutEverywhere() })
  })
  logoutOthersButton.addEventListener('click', () => {
    if (!window.confirm(CONFIRM_SIGN_OUT_OTHERS)) return
    void whileBusy(endingButtons, async () => { await page.signOutOtherDevices() })
  })
  reloadButton.addEventListener('click', () => {
    void whileBusy([reloadButton], async () => { await page.check() })
  })

  const recheck = (): void => { if (page.worthChecking) void page.check() }
  window.addEventListener('focus', recheck)
  document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') recheck() })
}
