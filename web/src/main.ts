import { AccountPage } from './account-page.js'
import { bindControls } from './bind-controls.js'
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
bindControls(page)
void page.check()
