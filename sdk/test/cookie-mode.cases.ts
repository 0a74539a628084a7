import t, { type Test } from 'tap'
import { cookieStorage, createAuthClient, memoryStorage, type SessionEndReason } from '../src/index.js'
import { signedInAs, startApiServer, type ApiServer } from './helpers/api-server.js'

// What a sibling subdomain can set for the whole site: a cookie with the plain name.
const PLANTED_CSRF_TOKEN = 'planted-by-a-sibling-subdomain-0123456789'

interface BrowserSession {
  token: string
  // The cookies a browser would hold after this login, as `name=value` pairs.
  cookies: Record<string, string>
}

async function browserLogin (server: ApiServer): Promise<BrowserSession> {
  const user = await server.createUser()
  const res = await server.app.inject({ method: 'POST', url: '/auth/login', payload: { account: user.account, password: user.password } })
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.body}`)
  return { token: res.json<{ token: string }>().token, cookies: Object.fromEntries(res.cookies.map((cookie) => [cookie.name, cookie.value])) }
}

function cookieHeader (cookies: Record<string, string>): string {
  return Object.entries(cookies).map(([name, value]) => `${name}=${value}`).join('; ')
}

// Node has neither a document nor a cookie jar: the test plays both, as a page of the API's origin sees them.
function actAsBrowser (t: Test, cookies: Record<string, string>): typeof fetch {
  Reflect.set(globalThis, 'document', { cookie: cookieHeader(cookies) })
  t.teardown(() => { Reflect.deleteProperty(globalThis, 'document') })
  return async (input, init) => {
    const request = new Request(input, init)
    const headers = new Headers(request.headers)
    headers.set('cookie', cookieHeader(cookies))
    return await fetch(request, { headers })
  }
}

t.test('cookie mode copies __Host-csrfToken into x-csrf-token, ahead of a plain csrfToken', async (t) => {
  const server = await startApiServer(t, { COOKIE_SECURE: 'true' })
  const session = await browserLogin(server)
  t.ok(session.cookies['__Host-csrfToken'] !== undefined, 'the Secure server set __Host-csrfToken')
  // The planted cookie comes first in document.cookie, as a browser may well list it.
  const jarFetch = actAsBrowser(t, { csrfToken: PLANTED_CSRF_TOKEN, ...session.cookies })
  const client = createAuthClient({ baseUrl: server.baseUrl, storage: cookieStorage(), fetch: jarFetch })

  await client.logout()
  const me = await server.app.inject({ method: 'GET', url: '/auth/me', headers: { token: session.token } })
  t.equal(me.statusCode, 401, 'the logout went through: the server saw the __Host-csrfToken value')
})

t.test('cookie mode falls back to csrfToken, what a server without COOKIE_SECURE sets', async (t) => {
  const server = await startApiServer(t, {})
  const session = await browserLogin(server)
  t.strictSame(Object.keys(session.cookies).sort(), ['accessToken', 'csrfToken'], 'the plain names')
  const client = createAuthClient({ baseUrl: server.baseUrl, storage: cookieStorage(), fetch: actAsBrowser(t, session.cookies) })

  await client.logout()
  const me = await server.app.inject({ method: 'GET', url: '/auth/me', headers: { token: session.token } })
  t.equal(me.statusCode, 401, 'the logout went through')
})

t.test('a session ended to make room for a login elsewhere ends with the reason evicted', async (t) => {
  const server = await startApiServer(t, {})
  const user = await server.createUser()
  const ended: SessionEndReason[] = []
  const client = createAuthClient({ baseUrl: server.baseUrl, storage: memoryStorage(), onSessionEnded: (reason) => { ended.push(reason) } })
  const { sessionId } = signedInAs(await client.login(user.account, user.password))

  // What a login beyond SESSION_MAX_PER_USER does to the user's oldest session.
  await server.app.sessionCheck.store.revoke(user.userId, sessionId, 'evicted')
  await t.rejects(client.me(), { name: 'AuthError', status: 401, errorCode: '1002', reason: 'evicted' })
  t.same(ended, ['evicted'], 'onSessionEnded is told why, not just "invalid_token"')
  t.equal(client.isSignedIn(), false, 'and the tokens are cleared')
})

t.test('isSignedIn in cookie mode: false without the CSRF cookie, unknown with it or without a document', async (t) => {
  const server = await startApiServer(t, {})
  const client = createAuthClient({ baseUrl: server.baseUrl, storage: cookieStorage() })
  t.equal(client.isSignedIn(), undefined, 'no document (Node, React Native): only the server can tell')

  const session = await browserLogin(server)
  actAsBrowser(t, { unrelated: 'cookie' })
  t.equal(client.isSignedIn(), false, 'a page without the CSRF cookie: nobody signed in in this browser')
  actAsBrowser(t, session.cookies)
  t.equal(client.isSignedIn(), undefined, 'with the CSRF cookie the session cookie may be live or not: ask me()')
  t.ok(session.cookies.csrfToken !== undefined, 'the login set it')
})
