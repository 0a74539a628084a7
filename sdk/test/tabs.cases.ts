import t, { type Test } from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  createAuthClient, localStorageStorage, memoryStorage, type AuthClient, type SessionEndReason, type TokenStorage, type WebStorageLike
} from '../src/index.js'
import { REFRESH_ENV, startApiServer, type ApiServer } from './helpers/api-server.js'

// Tabs of one browser, played by clients in one process: Node 20 has BroadcastChannel (the
// channel between clients of the same baseUrl) but no Web Locks, so a small one stands in.
const ROUNDS = 4
const CONCURRENT = 4
const DELIVERY_LIMIT_MS = 10_000

// navigator.locks.request: one holder per name at a time, in order of asking.
class InProcessLockManager {
  private readonly tails = new Map<string, Promise<unknown>>()

  async request<T> (name: string, callback: () => Promise<T>): Promise<T> {
    const granted = (this.tails.get(name) ?? Promise.resolve()).then(callback)
    this.tails.set(name, granted.catch(() => undefined))
    return await granted
  }
}

function installWebLocks (t: Test): void {
  Object.defineProperty(globalThis, 'navigator', { value: { locks: new InProcessLockManager() }, configurable: true })
  t.teardown(() => { Reflect.deleteProperty(globalThis, 'navigator') })
}

class MemoryWebStorage implements WebStorageLike {
  private readonly items = new Map<string, string>()
  getItem (key: string): string | null { return this.items.get(key) ?? null }
  setItem (key: string, value: string): void { this.items.set(key, value) }
  removeItem (key: string): void { this.items.delete(key) }
}

interface Tab {
  client: AuthClient
  storage: TokenStorage
  ended: SessionEndReason[]
}

function openTab (t: Test, server: ApiServer, storage: TokenStorage): Tab {
  const ended: SessionEndReason[] = []
  const client = createAuthClient({ baseUrl: server.baseUrl, strategy: 'refresh', storage, onSessionEnded: (reason) => { ended.push(reason) } })
  t.teardown(() => { client.close() })
  return { client, storage, ended }
}

function sharingTabs (t: Test, server: ApiServer, webStorage: WebStorageLike): [Tab, Tab] {
  return [openTab(t, server, localStorageStorage(undefined, webStorage)), openTab(t, server, localStorageStorage(undefined, webStorage))]
}

function tokenOf (tab: Tab): string {
  const token = tab.storage.get()?.token
  if (token === undefined) throw new Error('no token stored')
  return token
}

async function eventually (check: () => boolean): Promise<boolean> {
  const deadline = Date.now() + DELIVERY_LIMIT_MS
  while (!check()) {
    if (Date.now() > deadline) return false
    await sleep(10)
  }
  return true
}

async function meFromEveryTab (tabs: Tab[]): Promise<number[]> {
  const requests = tabs.flatMap((tab) => Array.from({ length: CONCURRENT }, async () => (await tab.client.fetch('/auth/me')).status))
  return await Promise.all(requests)
}

t.test('two tabs sharing localStorage refresh once between them (Web Locks)', async (t) => {
  installWebLocks(t)
  const server = await startApiServer(t, REFRESH_ENV)
  const user = await server.createUser()
  const webStorage = new MemoryWebStorage()
  const tabs = sharingTabs(t, server, webStorage)
  await tabs[0].client.login(user.account, user.password)

  for (let round = 1; round <= ROUNDS; round++) {
    server.expireAccessToken(tokenOf(tabs[0]))
    const refreshes = server.received('POST', '/auth/refresh')
    t.same(await meFromEveryTab(tabs), Array(2 * CONCURRENT).fill(200), `round ${round}: every request succeeded`)
    t.equal(server.received('POST', '/auth/refresh') - refreshes, 1, `round ${round}: one refresh for both tabs`)
  }
  t.same(tabs.map((tab) => tab.ended), [[], []])
})

t.test('without Web Locks, tabs that refresh at once are handed the same tokens and stay signed in', async (t) => {
  const server = await startApiServer(t, REFRESH_ENV)
  const user = await server.createUser()
  const webStorage = new MemoryWebStorage()
  const tabs = sharingTabs(t, server, webStorage)
  await tabs[0].client.login(user.account, user.password)
  for (let round = 1; round <= 2; round++) {
    server.expireAccessToken(tokenOf(tabs[0]))
    t.same(await meFromEveryTab(tabs), Array(2 * CONCURRENT).fill(200), `round ${round}: every request succeeded`)
  }
  t.same(tabs.map((tab) => tab.ended), [[], []])
})

t.test('a tab with its own copy of the session gets the tokens another tab refreshed', async (t) => {
  installWebLocks(t)
  const server = await startApiServer(t, REFRESH_ENV)
  const user = await server.createUser()
  const first = openTab(t, server, memoryStorage())
  const second = openTab(t, server, memoryStorage())
  const stranger = openTab(t, server, memoryStorage())
  await first.client.login(user.account, user.password)
  await stranger.client.login(user.account, user.password)
  const strangerTokens = stranger.storage.get()
  const login = first.storage.get()
  if (login === undefined) throw new Error('no tokens stored')
  second.storage.set(login)

  server.expireAccessToken(login.token)
  t.equal((await first.client.fetch('/auth/me')).status, 200)
  t.equal(server.received('POST', '/auth/refresh'), 1)
  t.ok(await eventually(() => second.storage.get()?.token === first.storage.get()?.token), 'the other tab stores the new tokens')
  t.equal((await second.client.fetch('/auth/me')).status, 200, 'and uses them')
  t.equal(server.received('POST', '/auth/refresh'), 1, 'without a refresh of its own')
  t.same(stranger.storage.get(), strangerTokens, 'a tab of another session keeps its own')
})

t.test('a session ended in one tab is announced in the tabs that hold it', async (t) => {
  const server = await startApiServer(t, REFRESH_ENV)
  const user = await server.createUser()
  const webStorage = new MemoryWebStorage()
  const sharing = sharingTabs(t, server, webStorage)
  const copy = openTab(t, server, memoryStorage())
  const stranger = openTab(t, server, memoryStorage())
  await sharing[0].client.login(user.account, user.password)
  await stranger.client.login(user.account, user.password)
  const tokens = webStorage.getItem('token-session-auth')
  copy.storage.set(JSON.parse(tokens ?? 'null'))

  await sharing[0].client.logout()

  t.same(sharing[0].ended, ['logout'], 'the tab that logged out')
  t.ok(await eventually(() => sharing[1].ended.length === 1 && copy.ended.length === 1), 'the others hear of it')
  t.same(sharing[1].ended, ['logout'], 'a tab sharing the storage')
  t.same(copy.ended, ['logout'], 'a tab with its own copy')
  t.equal(copy.client.isSignedIn(), false, 'which drops the copy')
  await sleep(100)
  t.same(stranger.ended, [], 'a tab of another session is not told')
  t.equal(stranger.client.isSignedIn(), true)
  t.equal((await stranger.client.fetch('/auth/me')).status, 200)
})
