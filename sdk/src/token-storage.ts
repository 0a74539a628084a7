// What a client keeps between requests. `sessionId` tells which session the tokens belong to,
// so a message from another tab, or a late answer, can be matched to the session it is about.
export interface StoredTokens {
  token: string
  refreshToken?: string
  sessionId: string
}

export interface TokenStorage {
  // 'cookie': the browser keeps the token in the HttpOnly cookie; get() answers undefined.
  readonly kind: 'header' | 'cookie'
  // Whether every tab reads the same place (localStorage): tabs then need no copy of new tokens.
  readonly sharedAcrossTabs: boolean
  get: () => StoredTokens | undefined
  set: (tokens: StoredTokens) => void
  clear: () => void
}

// The part of the Web Storage API this SDK uses (localStorage, sessionStorage, or a shim).
export interface WebStorageLike {
  getItem: (key: string) => string | null
  setItem: (key: string, value: string) => void
  removeItem: (key: string) => void
}

export const DEFAULT_STORAGE_KEY = 'token-session-auth'

// The default: tokens live as long as the page or process, in this client only.
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

// Tokens survive reloads and are shared by the tabs of one origin. `backend` defaults to
// globalThis.localStorage; anything stored under `key` that is not our shape reads as empty.
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

// Web pages: the server's HttpOnly cookies carry the session, so scripts (and whatever is
// injected into them) never see a token. Nothing is stored on this side.
export function cookieStorage (): TokenStorage {
  return {
    kind: 'cookie',
    sharedAcrossTabs: true,
    get: () => undefined,
    set: () => undefined,
    clear: () => undefined
  }
}
