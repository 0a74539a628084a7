import t, { type Test } from 'tap'
import { cookieStorage, createAuthClient, type AuthClient } from '../src/index.js'
import { REFRESH_ENV, startApiServer, type ApiServer } from './helpers/api-server.js'

// Cookie mode with refresh tokens, in Node: the page cannot read its HttpOnly access cookie, so
// after a 1003 it asks GET /auth/me under the refresh lock whether another tab refreshed already.

// Enough requests at once that a broken single flight (two probes, two refreshes) shows.
const CONCURRENT = 8
const ROUNDS = 2
const CSRF_COOKIE = 'csrfToken'
const ACCESS_COOKIE = 'accessToken'

interface StoredCookie { value: string, path: string, httpOnly: boolean }

// What a browser's cookie jar does for this server: store what Set-Cookie says (removals
// included), send each cookie to its path, and show document.cookie the script-readable ones.
// Cookies are kept by name: this server never sets one name on two paths.
class CookieJar {
  private readonly cookies = new Map<string, StoredCookie>()

  store (response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';').map((part) => part.trim())
      const separator = pair.indexOf('=')
      const name = pair.slice(0, separator)
      const options = new Map(attributes.map((attribute): [string, string] => {
        const at = attribute.indexOf('=')
        return at < 0 ? [attribute.toLowerCase(), ''] : [attribute.slice(0, at).toLowerCase(), attribute.slice(at + 1)]
      }))
      const expires = options.get('expires')
      const removed = options.get('max-age') === '0' || (expires !== undefined && Date.parse(expires) <= Date.now())
      if (removed) this.cookies.delete(name)
      else this.cookies.set(name, { value: pair.slice(separator + 1), path: options.get('path') ?? '/', httpOnly: options.has('httponly') })
    }
  }

  header (path: string): string {
    return [...this.cookies].filter(([, cookie]) => path.startsWith(cookie.path))
      .map(([name, cookie]) => `${name}=${cookie.value}`).join('; ')
  }

  get documentCookie (): string {
    return [...this.cookies].filter(([, cookie]) => !cookie.httpOnly)
      .map(([name, cookie]) => `${name}=${cookie.value}`).join('; ')
  }

  value (name: string): string {
    const cookie = this.cookies.get(name)
    if (cookie === undefined) throw new Error(`no ${name} cookie in the jar`)
    return cookie.value
  }
}

type AnswerHook = (path: string, response: Response) => Promise<void>

// A page of the API's origin: fetch goes through the jar, document.cookie reads it. `onAnswer`
// sees each answer before the SDK does, for what another tab does meanwhile.
function actAsBrowser (t: Test, jar: CookieJar, onAnswer?: AnswerHook): typeof fetch {
  Reflect.set(globalThis, 'document', { get cookie () { return jar.documentCookie } })
  t.teardown(() => { Reflect.deleteProperty(globalThis, 'document') })
  return async (input, init) => {
    const request = new Request(input, init)
    const { pathname } = new URL(request.url)
    const headers = new Headers(request.headers)
    const cookies = jar.header(pathname)
    if (cookies !== '') headers.set('cookie', cookies)
    const response = await fetch(request, { headers })
    jar.store(response)
    await onAnswer?.(pathname, response)
    return response
  }
}

// A request of another tab of the same browser, which has no SDK client here: no notice of it
// reaches this client's tab channel, as when that notice is still on its way.
async function sendFromAnotherTab (server: ApiServer, jar: CookieJar, path: string): Promise<number> {
  const response = await fetch(`${server.baseUrl}${path}`, {
    method: 'POST', headers: { cookie: jar.header(path), 'x-csrf-token': jar.value(CSRF_COOKIE) }
  })
  jar.store(response)
  await response.arrayBuffer()
  return response.status
}

async function signedInClient (t: Test, server: ApiServer, fetch: typeof globalThis.fetch): Promise<AuthClient> {
  const user = await server.createUser()
  const client = createAuthClient({ baseUrl: server.baseUrl, strategy: 'refresh', storage: cookieStorage(), fetch })
  t.teardown(() => { client.close() })
  await client.login(user.account, user.password)
  return client
}

// The first 401 to GET /auth/sessions, once: the moment between a 1003 and the refresh.
function onFirstRefusedListing (action: () => Promise<void>): AnswerHook {
  let done = false
  return async (path, response) => {
    if (done || path !== '/auth/sessions' || response.status !== 401) return
    done = true
    await action()
  }
}

t.test('cookie mode: requests that meet an expired access cookie cause one probe and one refresh', async (t) => {
  const server = await startApiServer(t, REFRESH_ENV)
  const jar = new CookieJar()
  const client = await signedInClient(t, server, actAsBrowser(t, jar))
  const { sessionId } = await client.me()

  for (let round = 1; round <= ROUNDS; round++) {
    const expired = jar.value(ACCESS_COOKIE)
    server.expireAccessToken(expired)
    const [probes, refreshes, listings] = [server.received('GET', '/auth/me'), server.received('POST', '/auth/refresh'), server.received('GET', '/auth/sessions')]

    const lists = await Promise.all(Array.from({ length: CONCURRENT }, async () => await client.sessions()))

    t.same(lists.map((list) => list.find((session) => session.current)?.id), Array(CONCURRENT).fill(sessionId), `round ${round}: every request listed the same session`)
    t.equal(server.received('GET', '/auth/me') - probes, 1, `round ${round}: one GET /auth/me asked whether the cookie works`)
    t.equal(server.received('POST', '/auth/refresh') - refreshes, 1, `round ${round}: one refresh`)
    t.equal(server.received('GET', '/auth/sessions') - listings, 2 * CONCURRENT, `round ${round}: each request was sent twice, no more`)
    t.not(jar.value(ACCESS_COOKIE), expired, `round ${round}: the refresh replaced the access cookie`)
  }
})

t.test('cookie mode: when another tab refreshed first, the probe finds the cookie fresh and does not refresh again', async (t) => {
  const server = await startApiServer(t, REFRESH_ENV)
  const jar = new CookieJar()
  const refreshedElsewhere: number[] = []
  const client = await signedInClient(t, server, actAsBrowser(t, jar, onFirstRefusedListing(async () => {
    refreshedElsewhere.push(await sendFromAnotherTab(server, jar, '/auth/refresh'))
  })))
  server.expireAccessToken(jar.value(ACCESS_COOKIE))
  const probes = server.received('GET', '/auth/me')

  const sessions = await client.sessions()

  t.same(refreshedElsewhere, [200], 'the other tab refreshed between the 1003 and the probe')
  t.equal(sessions.filter((session) => session.current).length, 1, 'the request went through with the fresh cookie')
  t.equal(server.received('GET', '/auth/me') - probes, 1, 'after one probe')
  t.equal(server.received('POST', '/auth/refresh'), 1, 'and no refresh but the other tab\'s')
  t.equal(server.received('GET', '/auth/sessions'), 2, 'the request was sent twice')
})

t.test('cookie mode: when another tab signed out first, the probe finds no session and nothing is refreshed', async (t) => {
  const server = await startApiServer(t, REFRESH_ENV)
  const jar = new CookieJar()
  const signedOutElsewhere: number[] = []
  const client = await signedInClient(t, server, actAsBrowser(t, jar, onFirstRefusedListing(async () => {
    // Its access cookie expired too: it refreshes, then signs out.
    signedOutElsewhere.push(await sendFromAnotherTab(server, jar, '/auth/refresh'))
    signedOutElsewhere.push(await sendFromAnotherTab(server, jar, '/auth/logout'))
  })))
  server.expireAccessToken(jar.value(ACCESS_COOKIE))

  await t.rejects(client.sessions(), { name: 'AuthError', status: 401 }, 'the request is answered 401')

  t.same(signedOutElsewhere, [200, 200], 'the other tab signed out between the 1003 and the probe')
  t.equal(jar.header('/auth/refresh'), '', 'which cleared every cookie')
  t.equal(server.received('GET', '/auth/me'), 1, 'one probe asked')
  t.equal(server.received('POST', '/auth/refresh'), 1, 'and no refresh but the other tab\'s was sent')
  t.equal(server.received('GET', '/auth/sessions'), 1, 'nor the request again')
})
