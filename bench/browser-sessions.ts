import { BROWSER_USER_AGENT } from './session-records.js'
import { BENCH_PASSWORD, forEachConcurrently, registerAccounts } from './sessions.js'

// A server as it runs in production: thousands of people signed in through the web page, each
// session checked at least once, so the server's near-cache and verified-token map hold them all.
// The throughput rounds run after this, so the figures are those of a server that has served
// many sessions, not of one that has seen only the hundred the load generator uses.

export const WARM_BROWSER_SESSIONS = 2_000
// Most people have a few browsers signed in; the per-user cap (SESSION_MAX_PER_USER) is far above.
const BROWSER_SESSIONS_PER_ACCOUNT = 10

function browserAccounts (sessions: number): string[] {
  return Array.from({ length: Math.ceil(sessions / BROWSER_SESSIONS_PER_ACCOUNT) }, (_, i) => `bench-browser-${i + 1}@example.com`)
}

// The cookies a browser would send back: each Set-Cookie's name=value.
function cookieHeader (response: Response): string {
  return response.headers.getSetCookie().map((cookie) => cookie.split(';')[0]).join('; ')
}

// Real logins (argon2, the session script, the cookies), then one GET /auth/me with the cookies,
// as the page does after signing in. Accounts that exist already (a shared database) are fine.
export async function warmBrowserSessions (serverUrl: string, count: number): Promise<void> {
  const accounts = browserAccounts(count)
  await registerAccounts(serverUrl, accounts)
  const logins = Array.from({ length: count }, (_, i) => accounts[i % accounts.length] ?? '')
  await forEachConcurrently(logins, async (account) => {
    const login = await fetch(`${serverUrl}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': BROWSER_USER_AGENT },
      body: JSON.stringify({ account, password: BENCH_PASSWORD })
    })
    await login.body?.cancel()
    if (login.status !== 200) throw new Error(`browser login of ${account}: ${login.status}`)
    const me = await fetch(`${serverUrl}/auth/me`, { headers: { cookie: cookieHeader(login), 'user-agent': BROWSER_USER_AGENT } })
    await me.body?.cancel()
    if (me.status !== 200) throw new Error(`GET /auth/me with a fresh browser session answered ${me.status}`)
  })
}
