import { failureMessage } from './error-messages.js'
import { AuthError, ERROR_CODES, type AuthClient } from './sdk.js'
import { announce, clearAnnouncement } from './status.js'
import { showView } from './views.js'

// The link the server sends: `<PUBLIC_URL>/#/reset?token=<token>`. The token is read from the
// fragment, which no request carries: it reaches no server log and no Referer header.
const RESET_ROUTE = /^#\/reset\?(.*)$/

export const FORGOT_SENT_MESSAGE = 'If an account with that name exists, a link to reset its password is on its way. It works once, for a limited time.'
export const RESET_DONE_MESSAGE = 'Your password was reset and every session ended. Sign in with the new password.'

// The token of a reset link in the page's address, if it is one.
export function resetTokenInAddress (hash: string): string | undefined {
  const query = RESET_ROUTE.exec(hash)?.[1]
  if (query === undefined) return undefined
  const token = new URLSearchParams(query).get('token')
  return token === null || token === '' ? undefined : token
}

// The address without the fragment: the token leaves the address bar and the tab's history entry.
export function forgetResetLink (): void {
  if (resetTokenInAddress(location.hash) === undefined) return
  history.replaceState(history.state, '', `${location.pathname}${location.search}`)
}

// "Forgot password?" and the reset link's form. Neither needs a session; neither starts one.
export class PasswordRecovery {
  constructor (private readonly client: AuthClient) {}

  openForgotForm (): void {
    clearAnnouncement()
    showView('forgot', true)
  }

  // Said the same whatever the account: the server answers alike, and so does the page.
  async askForLink (account: string): Promise<boolean> {
    try {
      await this.client.forgotPassword(account)
    } catch (error) {
      announce(failureMessage(error), 'warning')
      return false
    }
    announce(FORGOT_SENT_MESSAGE)
    return true
  }

  // Shows the reset form when the address is a reset link; false when it is not.
  openFromAddress (): boolean {
    if (resetTokenInAddress(location.hash) === undefined) return false
    clearAnnouncement()
    showView('reset', true)
    return true
  }

  // True when the password was set: the link is then cleared from the address and the user
  // sent to sign in. A dead link is cleared too, and the user offered a new one.
  async setNewPassword (newPassword: string): Promise<boolean> {
    const token = resetTokenInAddress(location.hash)
    if (token === undefined) {
      showView('forgot', true)
      return false
    }
    try {
      await this.client.resetPassword(token, newPassword)
    } catch (error) {
      announce(failureMessage(error), 'warning')
      if (error instanceof AuthError && error.errorCode === ERROR_CODES.invalidResetToken) {
        forgetResetLink()
        showView('forgot', true)
      }
      return false
    }
    forgetResetLink()
    showView('login', true)
    announce(RESET_DONE_MESSAGE)
    return true
  }
}
