import { elementById } from './dom.js'

// The sign-in view's second step, for an account with a second factor: the password form and
// the switch to "create an account" give way to the code form until it succeeds or is abandoned.
const loginForm = elementById('login-form', HTMLFormElement)
const switchMode = elementById('switch-mode', HTMLButtonElement)
const codeForm = elementById('second-factor-form', HTMLFormElement)
const codeField = elementById('second-factor-code', HTMLInputElement)

export function showSecondFactorStep (shown: boolean): void {
  loginForm.hidden = shown
  switchMode.hidden = shown
  codeForm.hidden = !shown
  codeForm.reset()
  if (shown) codeField.focus()
}
