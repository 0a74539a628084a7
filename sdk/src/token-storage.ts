/**
 * What a client keeps between requests. `sessionId` tells which session the tokens belong to,
 * so a message from another tab, or a late answer, can be matched to the session it is about.
 */
export interface StoredTokens {
  /** The session token (refresh strategy: the access token), sent in the token header. */
  token: string
  /** Refresh strategy only: the token `POST /auth/refresh` takes. */
  refreshToken?: string
  /** The id of the session the tokens belong to. */
  sessionId: string
}

/**
 * Where a client keeps its tokens: `memoryStorage()`, `localStorageStorage()`,
 * `cookieStorage()`, or an object of your own. The methods are synchronous; an app with
 * asynchronous storage (React Native) can keep an in-memory copy, loaded before the client is
 * created and written through on `set` and `clear`.
 *
 * @example
 * ```ts
 * const saved = await AsyncStorage.getItem('tokens')
 * let tokens: StoredTokens | undefined = saved === null ? undefined : JSON.parse(saved)
 * const storage: TokenStorage = {
 *   kind: 'header',
 *   sharedAcrossTabs: false,
 *   get: () => tokens,
 *   set: (next) => { tokens = next; void AsyncStorage.setItem('tokens', JSON.stringify(next)) },
 *   clear: () => { tokens = undefined; void AsyncStorage.removeItem('tokens') }
 * }
 * ```
 */
export interface TokenStorage {
  /**
   * `'header'`: the client sends the stored token in the token header. `'cookie'`: the browser
   * keeps the token in the server's HttpOnly cookie, `get()` answers `undefined`, and the client
   * sends `credentials: 'include'` and the CSRF header instead.
   */
  readonly kind: 'header' | 'cookie'
  /** Whether every tab reads the same place (localStorage): tabs then need no copy of new tokens. */
  readonly sharedAcrossTabs: boolean
  /** The stored tokens, or `undefined` when there are none. */
  get: () => StoredTokens | undefined
  /** Replaces the stored tokens. */
  set: (tokens: StoredTokens) => void
  /** Forgets the stored tokens. */
  clear: () => void
}

/** The part of the Web Storage API this SDK uses (localStorage, sessionStorage, or a shim). */
export interface WebStorageLike {
  /** The value stored under `key`, or `null`. */
  getItem: (key: string) => string | null
  /** Stores `value` under `key`. */
  setItem: (key: string, value: string) => void
  /** Removes what is stored under `key`. */
  removeItem: (key: string) => void
}

export const DEFAULT_STORAGE_KEY = 'token-session-auth'

/**
 * The default storage: tokens live as long as the page or process, in this client only.
 *
 * @example
 * ```ts
 * const auth = createAuthClient({ baseUrl: 'https://auth.example.com', storage: memoryStorage() })
 * ```
 */
export function memoryStorage (): TokenStorage {
  let tokens: StoredTokens | undefined
  return {
    kind: 'header',
    sharedAcrossTabs: false,
    get: () => tokens,
    set: (next) => { tokens = next },
    clear: () => { tokens = undefined }
  }
}

export function isStoredTokens (value: unknown): value is StoredTokens {
  if (typeof value !== 'object' || value === null) return false
  const { token, refreshToken, sessionId } = value as Record<string, unknown>
  return typeof token === 'string' && typeof sessionId === 'string' &&
    (refreshToken === undefined || typeof refreshToken === 'string')
}

function isWebStorage (value: unknown): value is WebStorageLike {
  if (typeof value !== 'object' || value === null) return false
  const { getItem, setItem, removeItem } = value as Record<string, unknown>
  return typeof getItem === 'function' && typeof setItem === 'function' && typeof removeItem === 'function'
}

/**
 * Tokens survive reloads and are shared by the tabs of one origin. Anything stored under `key`
 * that is not this SDK's shape reads as empty. Throws when there is no `localStorage` and no
 * `backend` is given.
 *
 * @param key The Web Storage key the tokens are kept under; `'token-session-auth'` by default.
 * @param backend Any Web Storage-like object (`sessionStorage`, a shim); `globalThis.localStorage`
 *   by default.
 *
 * @example
 * ```ts
 * const auth = createAuthClient({ baseUrl: 'https://auth.example.com', storage: localStorageStorage() })
 * const perTab = localStorageStorage('my-app-session', sessionStorage)
 * ```
 */
export function localStorageStorage (key = DEFAULT_STORAGE_KEY, backend?: WebStorageLike): TokenStorage {
  const store = backend ?? Reflect.get(globalThis, 'localStorage')
  if (!isWebStorage(store)) throw new Error('localStorageStorage: there is no localStorage here; pass a storage')
  return {
    kind: 'header',
    sharedAcrossTabs: true,
    get: () => {
      const text = store.getItem(key)
      if (text === null) return undefined
      try {
        const parsed: unknown = JSON.parse(text)
        return isStoredTokens(parsed) ? parsed : undefined
      } catch {
        return undefined
      }
    },
    set: (tokens) => { store.setItem(key, JSON.stringify(tokens)) },
    clear: () => { store.removeItem(key) }
  }
}

/**
 * For web pages: the server's HttpOnly cookies carry the session, so scripts (and whatever is
 * injected into them) never see a token. Nothing is stored on this side; the client sends
 * `credentials: 'include'` and copies the CSRF cookie into `x-csrf-token` on unsafe methods.
 *
 * @example
 * ```ts
 * const auth = createAuthClient({ baseUrl: '', storage: cookieStorage() })   // a page served by the auth server
 * ```
 */
export function cookieStorage (): TokenStorage {
  return {
    kind: 'cookie',
    sharedAcrossTabs: true,
    get: () => undefined,
    set: () => undefined,
    clear: () => undefined
  }
}
