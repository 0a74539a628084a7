import type { IssuedSessionBody, MeBody } from '../../contract/api-contract.js'
import type { SessionEndReason } from './session-end-reason.js'
import type { TokenStorage } from './token-storage.js'

/** The options of `createAuthClient`. Only `baseUrl` is required. */
export interface AuthClientOptions {
  /**
   * The API's origin, and path prefix if any. Requests given as a path (`'/notes'`) go there,
   * and credentials are sent to this origin only, never to another site a request is sent to.
   * `''` for a page served by the auth server itself: paths then go to the page's origin.
   *
   * @example
   * ```ts
   * createAuthClient({ baseUrl: 'https://auth.example.com' })
   * createAuthClient({ baseUrl: '', storage: cookieStorage() })   // a page on the server's origin
   * ```
   */
  baseUrl: string

  /**
   * The server's `AUTH_STRATEGY`. With `'refresh'`, an answer 401 `"1003"` (the access token
   * expired) refreshes the tokens once, for every request waiting on it, and sends each request
   * again once. With `'sliding'`, the client only keeps the token (and stores a reissued one from
   * `x-renewed-token`).
   *
   * @default 'sliding'
   *
   * @example
   * ```ts
   * createAuthClient({ baseUrl: 'https://auth.example.com', strategy: 'refresh' })
   * ```
   */
  strategy?: 'sliding' | 'refresh'

  /**
   * Where the tokens live. `memoryStorage()` keeps them for the life of the page or process;
   * `localStorageStorage()` survives reloads and is shared by the tabs of one origin;
   * `cookieStorage()` keeps nothing, for web pages whose session is in the server's HttpOnly
   * cookies. A {@link TokenStorage} of your own can hold them elsewhere.
   *
   * @default memoryStorage()
   *
   * @example
   * ```ts
   * createAuthClient({ baseUrl: 'https://auth.example.com', storage: localStorageStorage() })
   * ```
   */
  storage?: TokenStorage

  /**
   * Called once when the session this client holds ends, whoever ended it: the server's answer
   * (1001, 1002 with its reason, 1004), another tab, or this client's own `logout()`,
   * `logoutAll()` or `revokeSession()` of the current session. The tokens are cleared before it
   * is called. Never called for a 5xx, a 429 or a network error: those do not end a session.
   *
   * @example
   * ```ts
   * createAuthClient({
   *   baseUrl: 'https://auth.example.com',
   *   onSessionEnded: (reason) => { showSignIn(reason === 'expired' ? 'Signed out after a while away' : undefined) }
   * })
   * ```
   */
  onSessionEnded?: (reason: SessionEndReason) => void

  /**
   * The `fetch` to send requests with: a polyfill, or one that adds headers or logging.
   *
   * @default globalThis.fetch, looked up at each call (so one installed later is used)
   */
  fetch?: typeof fetch

  /**
   * The header the server reads the token from: the server's `TOKEN_HEADER`. Not used in cookie
   * mode.
   *
   * @default 'token'
   */
  tokenHeader?: string

  /**
   * Sent with `login()`: names this device in the user's session list and lets an admin end the
   * sessions of one device. 1–128 characters, no control or format (Unicode Cc, Cf) characters. Not sent when unset.
   *
   * @example
   * ```ts
   * createAuthClient({ baseUrl: 'https://auth.example.com', deviceId: installationId })
   * ```
   */
  deviceId?: string

  /**
   * Sent with `login()`: the kind of device (`phone`, `tv`, `web`, ...), whose rules the server's
   * `SESSION_DEVICE_RULES` apply: how many sessions of the kind one account may hold (a login
   * beyond it ends the oldest, told `'replaced'`, or is refused with 409 `"1013"`), and their own
   * idle timeout and lifetime. A lowercase letter, then up to 15 of `a-z 0-9 _ -`. Not sent when unset.
   *
   * @example
   * ```ts
   * createAuthClient({ baseUrl: 'https://auth.example.com', deviceType: 'phone' })
   * ```
   */
  deviceType?: string
}

/** The options of {@link AuthClient.login}. */
export interface LoginOptions {
  /**
   * `false`: a browser session. Its cookies have no `Max-Age`/`Expires`, so they end with the
   * browser, and it ends after the server's `SESSION_TTL_NOT_REMEMBERED` without use (unless a
   * device rule sets another idle timeout).
   * @default true
   * @example
   * ```ts
   * await auth.login(account, password, { rememberMe: form.rememberMe.checked })
   * ```
   */
  rememberMe?: boolean
}

/** The options of {@link AuthClient.fetch}: the global `fetch`'s, and `json`. */
export interface AuthFetchInit extends RequestInit {
  /**
   * A value to send as the body, as JSON: it is serialised with `JSON.stringify` and sent with
   * `content-type: application/json` (unless `headers` name a content type of their own). The
   * server reads JSON bodies only; a string `body` without that header goes out as `text/plain`
   * and is refused 415 `"1400"`. Give `json` or `body`, not both (a `TypeError`); like `body`, it
   * needs a `method` that sends a body.
   *
   * @example
   * ```ts
   * await auth.fetch('/orders', { method: 'POST', json: order })
   * ```
   */
  json?: unknown
}

/** The session a login or password change started. */
export type LoginResult = Pick<IssuedSessionBody, 'userId' | 'userType' | 'sessionId'> & {
  /** Never set on a started session: tells it apart from {@link SecondFactorRequired}. */
  secondFactorRequired?: false
}

/**
 * What `login()` resolves to when the password was right and the account has a second factor:
 * no session yet. Ask the user for a code of their authenticator app (or a backup code), then
 * `completeSecondFactor(challenge, code)`.
 */
export interface SecondFactorRequired {
  secondFactorRequired: true
  /** What `completeSecondFactor` takes with the code: single use, valid 300 s. */
  challenge: string
}

/** What `login()` resolves to: a started session, or a second factor to ask for. */
export type LoginAnswer = LoginResult | SecondFactorRequired

/** A TOTP secret being set up (`setUpTotp`), pending until `confirmTotp`. */
export interface TotpSetup {
  /** The secret in base32, for typing into an authenticator app by hand. */
  secret: string
  /** The `otpauth://totp/...` URI, to show as a QR code. */
  otpauthUri: string
}

/** Who the session belongs to, as `GET /auth/me` answers. */
export type Me = MeBody

/** One of the user's sessions, as `GET /auth/sessions` lists them. */
export interface SessionInfo {
  /** The session's id; {@link AuthClient.revokeSession} ends it. */
  id: string
  /** The `deviceId` its login sent, if any. */
  deviceId?: string
  /** The `deviceType` its login sent, if any. */
  deviceType?: string
  /**
   * The server's label of the browser or client that signed in, e.g. `'Chrome 131 on macOS'`;
   * a client it does not recognise keeps the start of its `User-Agent` header (at most 64 bytes).
   */
  userAgent?: string
  /** The client IP the login came from. */
  ip: string
  /** When it signed in, in milliseconds since the epoch. */
  loginAt: number
  /** When it was last used, in milliseconds since the epoch, to the minute. */
  lastSeenAt?: number
  /** When its user last proved who they are in it (login or re-authentication), in milliseconds since the epoch. */
  authAt: number
  /** How it was proven (RFC 8176 `amr`): `['pwd']`, `['pwd', 'otp']`, ...; `[]` from a server older than it. */
  amr: string[]
  /** Whether it is the session this client is using. */
  current: boolean
}

/**
 * A client of one auth server, made by `createAuthClient`. The methods call the server's
 * `/auth` routes and throw an `AuthError` for an error answer; `fetch` sends any request to the
 * API with the session's credentials.
 */
export interface AuthClient {
  /**
   * Signs in (`POST /auth/login`) and keeps the session's tokens (in cookie mode the server's
   * cookies keep them). Throws `AuthError` 401 `"1010"` for a wrong account or password, 429
   * `"1029"` after too many attempts, 409 `"1013"` when the account is signed in on the most
   * devices of this client's `deviceType` that the server allows.
   *
   * For an account with a second factor the password alone starts no session: `login` resolves
   * to `{ secondFactorRequired: true, challenge }`, and `completeSecondFactor` finishes it.
   *
   * @example
   * ```ts
   * const answer = await auth.login('ada@example.com', 'correct horse battery staple')
   * const { userId } = answer.secondFactorRequired === true
   *   ? await auth.completeSecondFactor(answer.challenge, await askForCode())
   *   : answer
   * ```
   */
  login: (account: string, password: string, options?: LoginOptions) => Promise<LoginAnswer>

  /**
   * The second step of a login that resolved to `{ secondFactorRequired: true, challenge }`
   * (`POST /auth/login/second-factor`): a current code of the authenticator app, or an unused
   * backup code. Keeps the session's tokens as `login` does. Throws `AuthError` 401 `"1010"` for a
   * wrong code (ask again; the third wrong code voids the challenge), and with
   * `reason: 'challenge_expired'` when the challenge no longer works (ask for the password again);
   * 429 `"1029"` after too many failed logins.
   *
   * @example
   * ```ts
   * const session = await auth.completeSecondFactor(answer.challenge, '123456')
   * ```
   */
  completeSecondFactor: (challenge: string, code: string) => Promise<LoginResult>

  /**
   * Whether the signed-in user's account has the TOTP second factor on (`GET /auth/2fa/totp`):
   * offer `setUpTotp` when not, `disableTotp` when it is.
   * @example
   * if (!await auth.totpEnabled()) showSetUpButton()
   */
  totpEnabled: () => Promise<boolean>

  /**
   * Starts setting up a TOTP second factor (`POST /auth/2fa/totp/setup`): show `otpauthUri` as a
   * QR code and `secret` as text; nothing changes until `confirmTotp`. Needs a sign-in within 15
   * minutes (`AuthError` 403 `"1005"`: `reauthenticate`, retry).
   */
  setUpTotp: () => Promise<TotpSetup>

  /**
   * Turns the second factor on with a code of the app (`POST /auth/2fa/totp/confirm`); resolves
   * to the ten backup codes, which the server shows this once. `AuthError` 403 `"1010"`: wrong code.
   */
  confirmTotp: (code: string) => Promise<string[]>

  /**
   * Turns the second factor off with a current code or a backup code (`DELETE /auth/2fa/totp`);
   * every other session of the user ends (`second_factor_changed`), this one stays. Resolves to
   * how many ended.
   */
  disableTotp: (code: string) => Promise<number>

  /**
   * Ends this session (`POST /auth/logout`), clears the tokens and calls
   * `onSessionEnded('logout')`. A session that had already ended is not an error (its end was
   * announced with the server's reason, and is not announced twice).
   */
  logout: () => Promise<void>

  /**
   * Ends every session of the user, this one included (`POST /auth/logout-all`), and calls
   * `onSessionEnded('logout_all')`. Resolves to how many sessions ended.
   */
  logoutAll: () => Promise<number>

  /**
   * Signs out every other device: ends every session of the user but this one
   * (`POST /auth/logout-others`). This session, its tokens and `onSessionEnded` are left alone;
   * the other devices are told `'logout_others'` at their next request. Resolves to how many
   * sessions ended (0 when this was the only one).
   *
   * @example
   * ```ts
   * const ended = await auth.logoutOthers()
   * showMessage(`${ended} other devices signed out`)
   * ```
   */
  logoutOthers: () => Promise<number>

  /**
   * Asks for a password-reset link (`POST /auth/password/forgot`): the server sends it to the
   * user the way it is configured (e-mail, or the app's own webhook). Resolves the same whether
   * or not the account exists (the server tells nobody which accounts do): say "if the account
   * exists, a link is on its way" either way. Needs no session. Throws `AuthError` 429 `"1029"`
   * after too many requests for this account or from this client (`retryAfter` says when to
   * try again), 400 `"1400"` for an empty account.
   *
   * @example
   * ```ts
   * await auth.forgotPassword('ada@example.com')
   * showMessage('If that account exists, a reset link is on its way.')
   * ```
   */
  forgotPassword: (account: string) => Promise<void>

  /**
   * Sets a new password with the token of a reset link (`POST /auth/password/reset`). Every
   * session of the user ends (other devices are told `'password_reset'`); no session is
   * started: sign in with the new password. Throws `AuthError` 400 `"1014"`
   * (`ERROR_CODES.invalidResetToken`) when the link is invalid, used or expired (ask for a new
   * one), 400 `"1400"` when the new password breaks the registration rules, 429 `"1029"` after
   * too many wrong tokens from this client.
   *
   * @example
   * ```ts
   * // The page at `<PUBLIC_URL>/#/reset?token=…`: the token is in the fragment.
   * const token = new URLSearchParams(location.hash.split('?')[1]).get('token') ?? ''
   * await auth.resetPassword(token, newPassword)
   * history.replaceState(null, '', location.pathname)
   * ```
   */
  resetPassword: (token: string, newPassword: string) => Promise<void>

  /**
   * Changes the password (`POST /auth/password`). Every session of the user ends, this one
   * included; this client continues with the fresh session the server starts for it. Throws
   * `AuthError` 403 `"1010"` for a wrong old password.
   */
  changePassword: (oldPassword: string, newPassword: string) => Promise<void>

  /**
   * Gives the password again (`POST /auth/reauthenticate`), for routes that need a recent
   * sign-in: they answer `AuthError` 403 `"1005"` (`ERROR_CODES.recentAuthRequired`, with
   * `maxAge`) when the session's is older. The session and its tokens stay; resolves to its new
   * `authAt` (ms since the epoch). Throws `AuthError` 403 `"1010"` for a wrong password or code.
   * An account with a second factor also gives `code` (from the authenticator app, or a backup
   * code); without it, `AuthError` 403 `"1012"` (`ERROR_CODES.secondFactorRequired`): ask for it.
   *
   * @example
   * ```ts
   * try {
   *   await deleteAccount()
   * } catch (error) {
   *   if (!(error instanceof AuthError && error.errorCode === ERROR_CODES.recentAuthRequired)) throw error
   *   await auth.reauthenticate(await askForPassword())
   *   await deleteAccount()
   * }
   * ```
   */
  reauthenticate: (password: string, code?: string) => Promise<number>

  /** The user's live sessions, newest first (`GET /auth/sessions`). */
  sessions: () => Promise<SessionInfo[]>

  /**
   * Ends one of the user's sessions (`DELETE /auth/sessions/:id`). Ending the current one also
   * clears the tokens and calls `onSessionEnded('revoked')`.
   */
  revokeSession: (id: string) => Promise<void>

  /** Who is signed in (`GET /auth/me`). */
  me: () => Promise<Me>

  /**
   * Any request to the API, with the session's credentials, like the global `fetch`: a path
   * (`'/notes'`) goes to `baseUrl`, and a URL of another origin is sent without credentials.
   * Stores a reissued token, refreshes and retries once on `"1003"` (refresh strategy), and ends
   * the session on 1001/1002/1004. Answers the `Response` whatever its status; `authErrorFrom`
   * makes the methods' `AuthError` of an error answer. Throws `NotReplayableError` when a
   * request must be repeated with fresh credentials and its body (a stream) cannot be sent twice.
   *
   * @example
   * ```ts
   * const answer = await auth.fetch('/notes', { method: 'POST', json: { text } })
   * if (!answer.ok) throw await authErrorFrom(answer)
   * ```
   */
  fetch: (input: string | URL | Request, init?: AuthFetchInit) => Promise<Response>

  /**
   * Whether tokens are stored. In cookie mode the page cannot see the HttpOnly session cookie:
   * `false` when it holds no CSRF cookie either (the server sets one with every sign-in, readable
   * by the page, and clears it with the session's), so nobody is signed in in this browser;
   * otherwise `undefined`: ask `me()`. A page that asks only when this is not `false` makes no
   * request that a signed-out visitor's browser logs as a failed 401.
   */
  isSignedIn: () => boolean | undefined

  /** Stops listening to other tabs (closes the client's `BroadcastChannel`); requests still work. */
  close: () => void
}
