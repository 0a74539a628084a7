// What the SDK uses from browsers, looked up on globalThis with feature checks: it compiles
// without the DOM library and runs where these do not exist (React Native, Node).

// The server's names for the double-submit cookie: `__Host-csrfToken` when its cookies are
// Secure, `csrfToken` without Secure (and for sessions older than the prefixes).
const CSRF_COOKIES = ['__Host-csrfToken', 'csrfToken'] as const

function globalValue (name: string): unknown {
  return Reflect.get(globalThis, name)
}

function isObject (value: unknown): value is object {
  return typeof value === 'object' && value !== null
}

// The page's cookies as `document.cookie` gives them; undefined outside browsers.
function documentCookies (): string | undefined {
  const documentValue = globalValue('document')
  if (!isObject(documentValue)) return undefined
  const cookies: unknown = Reflect.get(documentValue, 'cookie')
  return typeof cookies === 'string' ? cookies : undefined
}

// The script-readable double-submit cookie the server sets at login, read when a request is
// sent (a login in another tab replaces it); undefined outside browsers or when signed out.
export function csrfCookie (): string | undefined {
  const cookies = documentCookies()
  if (cookies === undefined) return undefined
  for (const name of CSRF_COOKIES) {
    const value = cookieValue(cookies, name)
    if (value !== undefined) return value
  }
  return undefined
}

// Whether the page holds the CSRF cookie, which every sign-in sets beside the HttpOnly session
// cookie and a sign-out clears with it; undefined where there is no document to ask.
export function holdsCsrfCookie (): boolean | undefined {
  return documentCookies() === undefined ? undefined : csrfCookie() !== undefined
}

// The value of the cookie `name` in a `document.cookie` string.
function cookieValue (cookies: string, name: string): string | undefined {
  for (const pair of cookies.split(';')) {
    const separator = pair.indexOf('=')
    if (separator < 0 || pair.slice(0, separator).trim() !== name) continue
    const value = pair.slice(separator + 1).trim()
    try {
      return decodeURIComponent(value)
    } catch {
      return value
    }
  }
  return undefined
}

interface LockManagerLike {
  request: <T>(name: string, callback: () => Promise<T>) => Promise<T>
}

function lockManager (): LockManagerLike | undefined {
  const navigatorValue = globalValue('navigator')
  if (!isObject(navigatorValue)) return undefined
  const locks: unknown = Reflect.get(navigatorValue, 'locks')
  if (!isObject(locks) || typeof Reflect.get(locks, 'request') !== 'function') return undefined
  return locks as LockManagerLike
}

// Runs `task` holding the Web Lock `name`, so one tab at a time does it; where there is no
// Web Locks API (React Native, Node, old browsers) there are no other tabs to wait for.
export async function withLock<T> (name: string, task: () => Promise<T>): Promise<T> {
  const locks = lockManager()
  if (locks === undefined) return await task()
  return await locks.request(name, task)
}

export interface BroadcastChannelLike {
  postMessage: (message: unknown) => void
  close: () => void
  onmessage: ((event: { data: unknown }) => void) | null
}

type BroadcastChannelConstructor = new (name: string) => BroadcastChannelLike

export function openBroadcastChannel (name: string, onMessage: (data: unknown) => void): BroadcastChannelLike | undefined {
  const Channel = globalValue('BroadcastChannel')
  if (typeof Channel !== 'function') return undefined
  const channel = new (Channel as BroadcastChannelConstructor)(name)
  channel.onmessage = (event) => { onMessage(event.data) }
  // Node keeps a process alive while a channel is open; a client must not do that.
  const unref: unknown = Reflect.get(channel, 'unref')
  if (typeof unref === 'function') unref.call(channel)
  return channel
}

// The origin pages of this document are served from, to tell API requests from others.
export function pageOrigin (): string | undefined {
  const location = globalValue('location')
  if (!isObject(location)) return undefined
  const origin: unknown = Reflect.get(location, 'origin')
  return typeof origin === 'string' ? origin : undefined
}
