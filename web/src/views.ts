import { elementById } from './dom.js'
import type { Me } from './sdk.js'

const loading = elementById('loading', HTMLParagraphElement)
const loginView = elementById('login-view', HTMLElement)
const forgotView = elementById('forgot-view', HTMLElement)
const resetView = elementById('reset-view', HTMLElement)
const accountView = elementById('account-view', HTMLElement)
const loginHeading = elementById('login-heading', HTMLHeadingElement)
const forgotHeading = elementById('forgot-heading', HTMLHeadingElement)
const resetHeading = elementById('reset-heading', HTMLHeadingElement)
const accountHeading = elementById('account-heading', HTMLHeadingElement)
const sessionsHeading = elementById('sessions-heading', HTMLHeadingElement)
const meAccount = elementById('me-account', HTMLElement)
const meUserId = elementById('me-user-id', HTMLElement)
const meUserType = elementById('me-user-type', HTMLElement)
const passwordFormAccount = elementById('password-form-account', HTMLInputElement)
const reauthAccount = elementById('reauth-account', HTMLInputElement)

export type ViewName = 'login' | 'account' | 'forgot' | 'reset'

let shown: ViewName | undefined

// The forgot and reset forms are the user's errand: a re-check of the session must not replace them.
export function showsRecoveryForm (): boolean {
  return shown === 'forgot' || shown === 'reset'
}

// Focus goes to the new view's heading when the view changes under the user (sign-in,
// sign-out, a session that ended): keyboard and screen-reader users are not left on a
// control that has just disappeared, and the next Tab reaches the view's first field.
export function showView (name: ViewName, moveFocus: boolean): void {
  shown = name
  loading.hidden = true
  const views = { login: [loginView, loginHeading], account: [accountView, accountHeading], forgot: [forgotView, forgotHeading], reset: [resetView, resetHeading] } as const
  for (const [view, [section]] of Object.entries(views)) section.hidden = view !== name
  if (moveFocus) views[name][1].focus()
}

// The first check could not tell whether a session exists (server unavailable): the status says so.
export function stopLoading (): void {
  loading.hidden = true
}

export function showMe (me: Me): void {
  // A session the app started without an account (app.sessions.start) shows none.
  const account = me.account ?? ''
  meAccount.textContent = account
  // The default value, so that resetting the form after a change keeps it.
  passwordFormAccount.defaultValue = account
  reauthAccount.defaultValue = account
  meUserId.textContent = String(me.userId)
  meUserType.textContent = me.userType === 'admin' ? 'Administrator' : 'User'
}

// After a session is signed out from the list the focused button is gone with its list item.
export function focusSessionList (): void {
  sessionsHeading.focus()
}
