import { endsSession, failureMessage, type Wordings } from './error-messages.js'
import { NotesPanel } from './notes-panel.js'
import { registerAccount, REGISTER_WORDINGS } from './register-account.js'
import { AuthError, CHALLENGE_EXPIRED_REASON, ERROR_CODES, type AuthClient, type SessionEndReason, type SessionInfo } from './sdk.js'
import { showSecondFactorStep } from './second-factor-step.js'
import { TwoFactorPanel } from './two-factor-panel.js'
import { sessionEndedMessage } from './session-end-messages.js'
import { withRecentSignIn } from './recent-sign-in.js'
import { renderSessions } from './session-list.js'
import { showSignInMode } from './sign-in-mode.js'
import { announce, clearAnnouncement } from './status.js'
import { focusSessionList, showMe, showsRecoveryForm, showView, stopLoading } from './views.js'

// 'unknown' until the first answer from the server (or after one that said nothing, a 503).
type SignInState = 'unknown' | 'signed-out' | 'signed-in'

export type ClientFactory = (onSessionEnded: (reason: SessionEndReason) => void) => AuthClient

const SIGN_IN_WORDINGS: Wordings = { [ERROR_CODES.wrongCredentials]: 'Wrong account or password.' }
const SECOND_FACTOR_WORDINGS: Wordings = { [ERROR_CODES.wrongCredentials]: 'That code is wrong, or was used already. Try again.' }

// How a sign-in went: a session, the second factor to ask for next, or nothing (the status says why).
export type SignInOutcome = 'signed-in' | 'code-needed' | 'failed'

function challengeExpired (error: unknown): boolean {
  return error instanceof AuthError && error.reason === CHALLENGE_EXPIRED_REASON
}
const CHANGE_PASSWORD_WORDINGS: Wordings = { [ERROR_CODES.wrongCredentials]: 'The current password is wrong.' }
const SIGN_OUT_WORDINGS: Wordings = { [ERROR_CODES.notFound]: 'That session no longer exists.' }

// What the page does. The server is the only memory: the page stores nothing and asks
// `GET /auth/me` whenever it needs to know whether the session still lives.
export class AccountPage {
  private readonly client: AuthClient
  readonly notes: NotesPanel
  readonly twoFactor: TwoFactorPanel
  // The challenge of a login that asked for the second factor, until it is answered or abandoned.
  private challenge: string | undefined
  private state: SignInState = 'unknown'
  // While this tab ends its own session, the end is not news to announce as "signed out because…".
  private endingHere = false
  private checking: Promise<void> | undefined

  constructor (createClient: ClientFactory) {
    this.client = createClient((reason) => { this.sessionEnded(reason) })
    this.notes = new NotesPanel(this.client, (error, wordings) => { this.failed(error, wordings) })
    this.twoFactor = new TwoFactorPanel(this.client, (error, wordings) => { this.failed(error, wordings) })
  }

  // The page's one client, for the parts that need no session (the password reset).
  get authClient (): AuthClient {
    return this.client
  }

  get signedIn (): boolean {
    return this.state === 'signed-in'
  }

  // Whether a re-check (on focus, on return to the tab) can tell anything new.
  get worthChecking (): boolean {
    return this.state !== 'signed-out' && !showsRecoveryForm()
  }

  // Who is signed in, their sessions and notes; one check at a time.
  async check (): Promise<void> {
    this.checking ??= this.loadAccount().finally(() => { this.checking = undefined })
    await this.checking
  }

  // Back from the forgot or reset form: the sign-in form, or the account when this browser is
  // signed in (the check says which).
  async returnFromRecovery (): Promise<void> {
    showView(this.signedIn ? 'account' : 'login', true)
    await this.check()
  }

  // `rememberMe` false: sent as such, so the server makes a browser session; else the server's default.
  async signIn (account: string, password: string, rememberMe = true): Promise<SignInOutcome> {
    try {
      const answer = await this.client.login(account, password, rememberMe ? {} : { rememberMe: false })
      if (answer.secondFactorRequired === true) {
        this.challenge = answer.challenge
        clearAnnouncement()
        showSecondFactorStep(true)
        return 'code-needed'
      }
    } catch (error) {
      announce(failureMessage(error, SIGN_IN_WORDINGS), 'warning')
      return 'failed'
    }
    return await this.enterAccount()
  }

  // The second step of a sign-in; a challenge that no longer works sends the user back to the password.
  async completeSecondFactor (code: string): Promise<SignInOutcome> {
    if (this.challenge === undefined) return 'failed'
    try {
      await this.client.completeSecondFactor(this.challenge, code.trim())
    } catch (error) {
      if (!challengeExpired(error)) {
        announce(failureMessage(error, SECOND_FACTOR_WORDINGS), 'warning')
        return 'failed'
      }
      this.abandonSecondFactor()
      announce('That sign-in expired or had too many wrong codes. Enter your password again.', 'warning')
      return 'failed'
    }
    this.abandonSecondFactor()
    return await this.enterAccount()
  }

  abandonSecondFactor (): void {
    this.challenge = undefined
    showSecondFactorStep(false)
  }

  private async enterAccount (): Promise<SignInOutcome> {
    clearAnnouncement()
    await this.check()
    if (this.signedIn) showView('account', true)
    return this.signedIn ? 'signed-in' : 'failed'
  }

  // POST /auth/register, then sign in with the same account and password.
  async createAccount (account: string, password: string, rememberMe = true): Promise<boolean> {
    try {
      await registerAccount(this.client, account, password)
    } catch (error) {
      announce(failureMessage(error, REGISTER_WORDINGS), 'warning')
      return false
    }
    // The account exists now: should signing in fail (a 429, a 503), the form to retry signs in.
    showSignInMode('sign-in', false)
    return await this.signIn(account, password, rememberMe) === 'signed-in'
  }

  async signOut (): Promise<void> {
    await this.endHere(async () => { await this.client.logout(); return undefined }, 'You have signed out.')
  }

  async signOutEverywhere (): Promise<void> {
    await this.endHere(async () => {
      const revoked = await this.client.logoutAll()
      return `You have signed out everywhere (${revoked} ${revoked === 1 ? 'session' : 'sessions'} ended).`
    }, 'You have signed out everywhere.')
  }

  // This session stays: the list shows it alone afterwards.
  async signOutOtherDevices (): Promise<void> {
    try {
      const revoked = await withRecentSignIn(this.client, async () => await this.client.logoutOthers())
      announce(revoked === 0
        ? 'No other device was signed in.'
        : `Signed out ${revoked} other ${revoked === 1 ? 'session' : 'sessions'}; this device stays signed in.`)
      await this.check()
      focusSessionList()
    } catch (error) {
      this.failed(error)
    }
  }

  async signOutSession (session: SessionInfo, device: string): Promise<void> {
    if (session.current) {
      await this.endHere(async () => { await this.client.revokeSession(session.id); return undefined },
        'You have signed out this device.')
      return
    }
    try {
      await withRecentSignIn(this.client, async () => { await this.client.revokeSession(session.id) })
      announce(`Signed out ${device}.`)
      await this.check()
      focusSessionList()
    } catch (error) {
      this.failed(error, SIGN_OUT_WORDINGS)
    }
  }

  async changePassword (oldPassword: string, newPassword: string): Promise<boolean> {
    try {
      await withRecentSignIn(this.client, async () => { await this.client.changePassword(oldPassword, newPassword) })
    } catch (error) {
      this.failed(error, CHANGE_PASSWORD_WORDINGS)
      return false
    }
    // The server ended every session and opened a fresh one for this device (new cookies).
    announce('Password changed. Every other session has ended; this device continues with a new session.')
    await this.check()
    return true
  }

  // From the SDK: a request learnt the session is over (here, or in another tab of this browser).
  sessionEnded (reason: SessionEndReason): void {
    if (this.endingHere || this.state === 'signed-out') return
    // On the first check a missing or unusable cookie only means "not signed in yet".
    const news = this.state === 'signed-in' || reason !== 'invalid_token'
    this.showSignedOut(true)
    if (news) announce(sessionEndedMessage(reason), 'warning')
  }

  private async loadAccount (): Promise<void> {
    // No CSRF cookie, so no session cookie either: the sign-in form, without asking. The 401 the
    // server would answer is logged by the browser in the console as a failed request.
    if (this.client.isSignedIn() === false) {
      if (this.state !== 'signed-out') this.showSignedOut(this.signedIn)
      return
    }
    try {
      const me = await this.client.me()
      const sessions = await this.client.sessions()
      await this.twoFactor.load()
      showMe(me)
      renderSessions(sessions, (session, device) => { void this.signOutSession(session, device) })
      if (!this.signedIn) showView('account', false)
      this.state = 'signed-in'
    } catch (error) {
      this.failed(error)
      return
    }
    await this.notes.load()
  }

  // Sign out here, everywhere, or this device from the list: the login form comes back with `done`.
  // `end` may word the outcome itself; else it is `done`.
  private async endHere (end: () => Promise<string | undefined>, done: string): Promise<void> {
    this.endingHere = true
    try {
      announce((await end()) ?? done)
    } catch (error) {
      if (!endsSession(error)) {
        this.failed(error)
        return
      }
      // Already over (ended elsewhere a moment ago): the outcome the user asked for.
      announce(done)
    } finally {
      this.endingHere = false
    }
    this.showSignedOut(true)
  }

  private failed (error: unknown, wordings?: Wordings): void {
    if (!endsSession(error)) {
      // A 503 or a network error says nothing about the session: the view stays as it is.
      if (this.state === 'unknown') stopLoading()
      announce(failureMessage(error, wordings), 'warning')
      return
    }
    // Normally sessionEnded (called by the SDK) has shown the login form already.
    if (this.state !== 'signed-out') this.showSignedOut(this.signedIn)
  }

  // The login form, and nothing of the account left in the page (the next one may be another's).
  private showSignedOut (moveFocus: boolean): void {
    this.state = 'signed-out'
    showView('login', moveFocus)
    this.notes.hide()
    this.twoFactor.reset()
  }
}
