import { buttonsOf, elementById, whileBusy } from './dom.js'
import { forgetResetLink, type PasswordRecovery } from './password-recovery.js'

const forgotOpenButton = elementById('forgot-open', HTMLButtonElement)
const forgotForm = elementById('forgot-form', HTMLFormElement)
const loginAccountField = elementById('login-account', HTMLInputElement)
const forgotAccountField = elementById('forgot-account', HTMLInputElement)
const resetForm = elementById('reset-form', HTMLFormElement)
const resetPasswordField = elementById('reset-password', HTMLInputElement)
const resetPasswordAgainField = elementById('reset-password-again', HTMLInputElement)

const PASSWORDS_DIFFER = 'The two passwords differ.'

// The browser refuses to submit the form while the second password differs from the first.
function checkPasswordsMatch (): void {
  resetPasswordAgainField.setCustomValidity(resetPasswordAgainField.value === resetPasswordField.value ? '' : PASSWORDS_DIFFER)
}

// Wires "Forgot password?", its form, the reset form and the "Back to sign in" buttons; a reset
// link followed in an open tab (the fragment changes) shows the reset form too.
// `backToSignIn`: the view the session calls for (the sign-in form, or the account).
export function bindRecovery (recovery: PasswordRecovery, backToSignIn: () => void): void {
  forgotOpenButton.addEventListener('click', () => {
    // What the user typed at sign-in is the account they mean.
    forgotAccountField.value = loginAccountField.value
    recovery.openForgotForm()
  })
  forgotForm.addEventListener('submit', (event) => {
    event.preventDefault()
    void whileBusy(buttonsOf(forgotForm), async () => {
      if (await recovery.askForLink(forgotAccountField.value.trim())) forgotForm.reset()
    })
  })

  resetPasswordField.addEventListener('input', checkPasswordsMatch)
  resetPasswordAgainField.addEventListener('input', checkPasswordsMatch)
  resetForm.addEventListener('submit', (event) => {
    event.preventDefault()
    void whileBusy(buttonsOf(resetForm), async () => {
      await recovery.setNewPassword(resetPasswordField.value)
      resetForm.reset()
    })
  })

  for (const button of document.querySelectorAll<HTMLButtonElement>('.back-to-sign-in')) {
    button.addEventListener('click', () => {
      forgetResetLink()
      backToSignIn()
    })
  }
  window.addEventListener('hashchange', () => { recovery.openFromAddress() })
}
