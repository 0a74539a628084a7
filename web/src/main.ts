import { AccountPage } from './account-page.js'
import { bindControls } from './bind-controls.js'
import { bindRecovery } from './bind-recovery.js'
import { PasswordRecovery } from './password-recovery.js'
import { cookieStorage, createAuthClient } from './sdk.js'

// The page does not need to know the server's AUTH_STRATEGY: a client made for 'refresh'
// refreshes only when an answer says 1003, which a sliding server never sends. Cookie mode:
// the HttpOnly cookies hold the session, the SDK adds the CSRF header, the page stores nothing.
const page = new AccountPage((onSessionEnded) => createAuthClient({
  baseUrl: '',
  strategy: 'refresh',
  storage: cookieStorage(),
  onSessionEnded
}))
const recovery = new PasswordRecovery(page.authClient)
bindControls(page)
bindRecovery(recovery, () => { void page.returnFromRecovery() })
// A reset link opens its form; any other address shows who is signed in, if anyone.
if (!recovery.openFromAddress()) void page.check()
