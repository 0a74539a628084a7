import { elementById } from './dom.js'

// The login view's one form either signs in or creates an account (and then signs in).
export type SignInMode = 'sign-in' | 'create-account'

// A new password follows the server's rules for one (src/api/field-schemas.ts, PasswordSchema);
// signing in takes any length up to the maximum, so a password set under older rules still
// gets a plain "wrong password".
export const NEW_PASSWORD_MIN_LENGTH = 8

interface ModeWords {
  heading: string
  passwordLabel: string
  passwordAutocomplete: 'current-password' | 'new-password'
  submit: string
  switchPrompt: string
  switchButton: string
}

const WORDS: Record<SignInMode, ModeWords> = {
  'sign-in': {
    heading: 'Sign in',
    passwordLabel: 'Password',
    passwordAutocomplete: 'current-password',
    submit: 'Sign in',
    switchPrompt: 'New here?',
    switchButton: 'Create an account'
  },
  'create-account': {
    heading: 'Create an account',
    passwordLabel: `Password (${NEW_PASSWORD_MIN_LENGTH} characters or more)`,
    passwordAutocomplete: 'new-password',
    submit: 'Create account',
    switchPrompt: 'Have an account?',
    switchButton: 'Sign in instead'
  }
}

const heading = elementById('login-heading', HTMLHeadingElement)
const passwordLabel = elementById('login-password-label', HTMLLabelElement)
const passwordField = elementById('login-password', HTMLInputElement)
const submitButton = elementById('login-submit', HTMLButtonElement)
const switchPrompt = elementById('switch-mode-prompt', HTMLElement)
const switchButton = elementById('switch-mode', HTMLButtonElement)

let current: SignInMode = 'sign-in'

export function signInMode (): SignInMode {
  return current
}

// Rewords the form for `mode`; the heading takes focus when the user switched, so a screen
// reader says which form this is now.
export function showSignInMode (mode: SignInMode, moveFocus: boolean): void {
  current = mode
  const words = WORDS[mode]
  heading.textContent = words.heading
  passwordLabel.textContent = words.passwordLabel
  passwordField.autocomplete = words.passwordAutocomplete
  if (mode === 'create-account') passwordField.minLength = NEW_PASSWORD_MIN_LENGTH
  else passwordField.removeAttribute('minlength')
  submitButton.textContent = words.submit
  switchPrompt.textContent = words.switchPrompt
  switchButton.textContent = words.switchButton
  if (moveFocus) heading.focus()
}

export function otherSignInMode (): SignInMode {
  return current === 'sign-in' ? 'create-account' : 'sign-in'
}
