import { buttonsOf, elementById, whileBusy } from './dom.js'
import { failureMessage } from './error-messages.js'
import { AuthError, ERROR_CODES, type AuthClient } from './sdk.js'

// Some actions need a recent sign-in: the server answers 403 "1005" (with maxAge) when the
// session's is older. The page then asks for the password in a dialog (and the second factor's
// code where the account has one), gives it to POST /auth/reauthenticate and repeats the action
// once; the session itself never ended.
const dialog = elementById('reauth-dialog', HTMLDialogElement)
const form = elementById('reauth-form', HTMLFormElement)
const reason = elementById('reauth-reason', HTMLParagraphElement)
const problem = elementById('reauth-problem', HTMLParagraphElement)
const passwordField = elementById('reauth-password', HTMLInputElement)
const codeField = elementById('reauth-code-field', HTMLDivElement)
const codeInput = elementById('reauth-code', HTMLInputElement)
const cancelButton = elementById('reauth-cancel', HTMLButtonElement)

const REAUTH_WORDINGS = { [ERROR_CODES.wrongCredentials]: 'That password is wrong. Try again.' }
const CODE_WORDINGS = {
  [ERROR_CODES.wrongCredentials]: 'That password or code is wrong, or the code was used already. Try again.',
  [ERROR_CODES.secondFactorRequired]: 'Enter the code from your authenticator app, or a backup code, as well.'
}

function showCodeField (shown: boolean): void {
  codeField.hidden = !shown
  codeInput.required = shown
}

function needsCode (error: unknown): boolean {
  return error instanceof AuthError && error.errorCode === ERROR_CODES.secondFactorRequired
}
const SECONDS_PER_MINUTE = 60

function needsRecentSignIn (error: unknown): error is AuthError {
  return error instanceof AuthError && error.errorCode === ERROR_CODES.recentAuthRequired
}

function withinWords (maxAge: number | undefined): string {
  if (maxAge === undefined) return 'recently'
  if (maxAge < SECONDS_PER_MINUTE * 2) return `within the last ${maxAge} seconds`
  return `within the last ${Math.round(maxAge / SECONDS_PER_MINUTE)} minutes`
}

// Resolves true once the password was accepted, false when the user cancelled.
async function askForPassword (client: AuthClient, maxAge: number | undefined): Promise<boolean> {
  reason.textContent = `For this you must have signed in ${withinWords(maxAge)}. Enter your password to continue; you stay signed in either way.`
  problem.textContent = ''
  form.reset()
  showCodeField(false)
  dialog.showModal()
  passwordField.focus()
  return await new Promise<boolean>((resolve) => {
    const finish = (confirmed: boolean): void => {
      form.removeEventListener('submit', submit)
      cancelButton.removeEventListener('click', cancel)
      dialog.removeEventListener('cancel', cancel)
      dialog.close()
      resolve(confirmed)
    }
    const cancel = (event: Event): void => { event.preventDefault(); finish(false) }
    const submit = (event: Event): void => {
      event.preventDefault()
      void whileBusy([...buttonsOf(form)], async () => {
        const code = codeField.hidden ? undefined : codeInput.value.trim()
        try {
          await client.reauthenticate(passwordField.value, code)
          finish(true)
        } catch (error) {
          // An account with a second factor: the same dialog asks for its code too.
          if (needsCode(error)) showCodeField(true)
          problem.textContent = failureMessage(error, codeField.hidden ? REAUTH_WORDINGS : CODE_WORDINGS)
          if (needsCode(error)) codeInput.focus()
          else passwordField.select()
        }
      })
    }
    form.addEventListener('submit', submit)
    cancelButton.addEventListener('click', cancel)
    // Escape closes a modal dialog: the same as Cancel.
    dialog.addEventListener('cancel', cancel)
  })
}

// Runs `action`; a 1005 asks for the password and runs it once more. Cancelled, the 1005 is
// thrown on, and the page words it (error-messages.ts).
export async function withRecentSignIn<T> (client: AuthClient, action: () => Promise<T>): Promise<T> {
  try {
    return await action()
  } catch (error) {
    if (!needsRecentSignIn(error) || !await askForPassword(client, error.maxAge)) throw error
    return await action()
  }
}
