import t from 'tap'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createUser, TEST_PASSWORD, type TestUser } from '../../test/helpers/sessions.js'
import {
  AuthError, authErrorFrom, ERROR_CODES, createAuthClient, localStorageStorage, memoryStorage, type AuthClient, type SessionEndReason, type TokenStorage, type WebStorageLike
} from '../src/index.js'
import { REFRESH_ENV, signedInAs, startApiServer, type ApiServer } from './helpers/api-server.js'

const NEW_PASSWORD = 'a new password, long enough'

interface Device {
  client: AuthClient
  storage: TokenStorage
  ended: SessionEndReason[]
}

function device (server: ApiServer, deviceId?: string, storage: TokenStorage = memoryStorage()): Device {
  const ended: SessionEndReason[] = []
  const client = createAuthClient({
    baseUrl: server.baseUrl, storage, onSessionEnded: (reason) => { ended.push(reason) }, ...(deviceId === undefined ? {} : { deviceId })
  })
  return { client, storage, ended }
}

async function signedIn (server: ApiServer, user: TestUser, deviceId?: string): Promise<Device> {
  const signed = device(server, deviceId)
  await signed.client.login(user.account, user.password)
  return signed
}

// The part of localStorage the SDK uses, in memory: Node 20 has no localStorage.
class MemoryWebStorage implements WebStorageLike {
  readonly items = new Map<string, string>()
  getItem (key: string): string | null { return this.items.get(key) ?? null }
  setItem (key: string, value: string): void { this.items.set(key, value) }
  removeItem (key: string): void { this.items.delete(key) }
}

t.test('login, me and sessions', async (t) => {
  const server = await startApiServer(t, {})
  const user = await server.createUser()
  const phone = device(server, 'phone-1')
  t.equal(phone.client.isSignedIn(), false)
  await t.rejects(phone.client.login(user.account, 'not the password'), { name: 'AuthError', status: 401, errorCode: '1010' })
  t.equal(phone.client.isSignedIn(), false)

  const login = signedInAs(await phone.client.login(user.account, user.password))
  t.match(login, { userId: user.userId, userType: 'user', sessionId: String })
  t.equal(phone.client.isSignedIn(), true)
  t.same(await phone.client.me(), { userId: user.userId, userType: 'user', deviceType: null, account: user.account, sessionId: login.sessionId, authAt: server.clock.now(), amr: ['pwd'] })

  const laptop = await signedIn(server, user)
  const sessions = await phone.client.sessions()
  t.equal(sessions.length, 2)
  t.match(sessions.find((session) => session.id === login.sessionId), { current: true, deviceId: 'phone-1', ip: '127.0.0.1', loginAt: Number })
  const other = sessions.find((session) => session.id !== login.sessionId)
  t.equal(other?.current, false)
  t.notOk(other !== undefined && 'deviceId' in other, 'a session without a device has no deviceId')
  t.same(phone.ended, [])
  t.same(laptop.ended, [])
})

t.test('a route that needs a recent sign-in: AuthError "1005" with maxAge, then reauthenticate and retry', async (t) => {
  const server = await startApiServer(t, {})
  const admin = await createUser(server.app, 'admin')
  const desk = await signedIn(server, admin)
  const listSessions = async (): Promise<Response> => await desk.client.fetch(`/admin/users/${admin.userId}/sessions`)
  t.equal((await listSessions()).status, 200, 'just signed in')

  server.clock.advance(901_000)
  const stale = await listSessions()
  const error = await authErrorFrom(stale)
  t.ok(error instanceof AuthError)
  t.match(error, { status: 403, errorCode: ERROR_CODES.recentAuthRequired, maxAge: 900 }, 'the code, and how recent the sign-in must be')
  t.same(desk.ended, [], 'the session was not ended')
  t.equal(desk.client.isSignedIn(), true)

  await t.rejects(desk.client.reauthenticate('not the password'), { name: 'AuthError', status: 403, errorCode: '1010' })
  t.equal(await desk.client.reauthenticate(TEST_PASSWORD), server.clock.now(), 'resolves to the new authAt')
  t.equal((await desk.client.me()).authAt, server.clock.now())
  t.equal((await listSessions()).status, 200, 'the retry passes')
  t.match((await desk.client.sessions())[0], { current: true, authAt: server.clock.now() })
})

t.test('revokeSession ends another device, or this one', async (t) => {
  const server = await startApiServer(t, {})
  const user = await server.createUser()
  const phone = await signedIn(server, user)
  const laptop = await signedIn(server, user)
  const laptopSession = (await laptop.client.me()).sessionId

  await phone.client.revokeSession(laptopSession)
  t.same(phone.ended, [], 'revoking another session leaves this one')
  await t.rejects(laptop.client.me(), { name: 'AuthError', status: 401, errorCode: '1002', reason: 'revoked' })
  t.same(laptop.ended, ['revoked'], 'the revoked device is told why')
  t.equal(laptop.client.isSignedIn(), false)
  await t.rejects(phone.client.revokeSession(laptopSession), { name: 'AuthError', status: 404, errorCode: '1404' })

  await phone.client.revokeSession((await phone.client.me()).sessionId)
  t.same(phone.ended, ['revoked'], 'revoking this session ends it here')
  t.equal(phone.client.isSignedIn(), false)
})

t.test('changePassword: this device continues with a new session, the others end', async (t) => {
  const server = await startApiServer(t, {})
  const user = await server.createUser()
  const phone = await signedIn(server, user)
  const laptop = await signedIn(server, user)
  const before = await phone.client.me()

  await t.rejects(phone.client.changePassword('wrong password', NEW_PASSWORD), { name: 'AuthError', status: 403, errorCode: '1010' })
  t.equal((await phone.client.me()).sessionId, before.sessionId, 'a wrong old password changes nothing')

  await phone.client.changePassword(TEST_PASSWORD, NEW_PASSWORD)
  const after = await phone.client.me()
  t.not(after.sessionId, before.sessionId, 'this device has a new session')
  t.same(phone.ended, [], 'and was not signed out')
  await t.rejects(laptop.client.me(), { name: 'AuthError', status: 401, errorCode: '1002', reason: 'password_changed' })
  t.same(laptop.ended, ['password_changed'])
  await t.rejects(device(server).client.login(user.account, TEST_PASSWORD), { name: 'AuthError', errorCode: '1010' })
  await device(server).client.login(user.account, NEW_PASSWORD)
})

t.test('logout and logoutAll', async (t) => {
  const server = await startApiServer(t, {})
  const user = await server.createUser()
  const phone = await signedIn(server, user)
  const laptop = await signedIn(server, user)
  const tablet = await signedIn(server, user)

  await phone.client.logout()
  t.same(phone.ended, ['logout'], 'this client is told too')
  t.equal(phone.client.isSignedIn(), false)
  await phone.client.logout()
  t.same(phone.ended, ['logout'], 'logging out again changes nothing and tells nothing')

  t.equal(await laptop.client.logoutAll(), 2, 'the laptop and the tablet')
  t.same(laptop.ended, ['logout_all'])
  t.equal(laptop.client.isSignedIn(), false)
  await t.rejects(tablet.client.me(), { name: 'AuthError', status: 401, errorCode: '1002', reason: 'logout_all' })
  t.same(tablet.ended, ['logout_all'])
})

t.test('logoutOthers ends the other devices and keeps this one', async (t) => {
  const server = await startApiServer(t, {})
  const user = await server.createUser()
  const phone = await signedIn(server, user)
  const laptop = await signedIn(server, user)
  const tablet = await signedIn(server, user)
  const stranger = await signedIn(server, await server.createUser())

  t.equal(await laptop.client.logoutOthers(), 2, 'the phone and the tablet')
  t.same(laptop.ended, [], 'this client is not signed out, and hears of no end')
  t.equal(laptop.client.isSignedIn(), true)
  t.same((await laptop.client.sessions()).map((session) => session.current), [true], 'only this session is left')
  for (const other of [phone, tablet]) {
    await t.rejects(other.client.me(), { name: 'AuthError', status: 401, errorCode: '1002', reason: 'logout_others' })
    t.same(other.ended, ['logout_others'], 'the other device is told why')
    t.equal(other.client.isSignedIn(), false)
  }
  t.match(await stranger.client.me(), { sessionId: String }, "another user's session is untouched")
  t.equal(await laptop.client.logoutOthers(), 0, 'again: no other session left')
})

t.test('refresh strategy: the methods keep the refresh token current', async (t) => {
  const server = await startApiServer(t, REFRESH_ENV)
  const user = await server.createUser()
  const storage = memoryStorage()
  const ended: SessionEndReason[] = []
  const client = createAuthClient({ baseUrl: server.baseUrl, strategy: 'refresh', storage, onSessionEnded: (reason) => { ended.push(reason) } })
  await client.login(user.account, user.password)
  const login = storage.get()
  await client.changePassword(TEST_PASSWORD, NEW_PASSWORD)
  const changed = storage.get()
  t.not(changed?.refreshToken, login?.refreshToken, 'a password change stores the new session\'s refresh token')
  server.expireAccessToken(changed?.token ?? '')
  t.equal((await client.me()).sessionId, changed?.sessionId, 'which refreshes')
  t.equal(server.received('POST', '/auth/refresh'), 1)
  t.same(ended, [])
})

t.test('refresh strategy: after logoutOthers this device still refreshes, the other cannot', async (t) => {
  const server = await startApiServer(t, REFRESH_ENV)
  const user = await server.createUser()
  const refreshDevice = async (): Promise<Device> => {
    const storage = memoryStorage()
    const ended: SessionEndReason[] = []
    const client = createAuthClient({ baseUrl: server.baseUrl, strategy: 'refresh', storage, onSessionEnded: (reason) => { ended.push(reason) } })
    await client.login(user.account, user.password)
    return { client, storage, ended }
  }
  const here = await refreshDevice()
  const there = await refreshDevice()

  t.equal(await here.client.logoutOthers(), 1)
  server.expireAccessToken(here.storage.get()?.token ?? '')
  server.expireAccessToken(there.storage.get()?.token ?? '')
  t.match(await here.client.me(), { sessionId: String }, 'this device refreshes and carries on')
  t.equal(server.received('POST', '/auth/refresh'), 1)
  // The call itself is refused with the access token's 1003; the refresh it led to tells why.
  await t.rejects(there.client.me(), { name: 'AuthError', status: 401 })
  t.same(there.ended, ['logout_others'], "the other device's refresh token ended with its session")
  t.same(here.ended, [])
})

t.test('localStorageStorage keeps the session across reloads, under its key', async (t) => {
  const server = await startApiServer(t, {})
  const user = await server.createUser()
  const webStorage = new MemoryWebStorage()
  t.throws(() => localStorageStorage(), /no localStorage/, 'Node has no localStorage of its own')
  Object.defineProperty(globalThis, 'localStorage', { value: webStorage, configurable: true })
  t.teardown(() => { Reflect.deleteProperty(globalThis, 'localStorage') })

  const page = device(server, undefined, localStorageStorage())
  const login = signedInAs(await page.client.login(user.account, user.password))
  t.match(JSON.parse(webStorage.getItem('token-session-auth') ?? '{}'), { token: String, sessionId: login.sessionId })

  const reloaded = device(server, undefined, localStorageStorage())
  t.equal(reloaded.client.isSignedIn(), true, 'a new client finds the session')
  t.equal((await reloaded.client.me()).sessionId, login.sessionId)

  const otherKey = device(server, undefined, localStorageStorage('another-app', webStorage))
  t.equal(otherKey.client.isSignedIn(), false, 'another key is another session')
  webStorage.setItem('broken', '{"token": 42}')
  t.equal(localStorageStorage('broken').get(), undefined, 'anything else under the key reads as signed out')
  webStorage.setItem('broken', 'not json')
  t.equal(localStorageStorage('broken').get(), undefined)

  await reloaded.client.logout()
  t.equal(webStorage.getItem('token-session-auth'), null, 'logout removes the key')
  t.equal(page.client.isSignedIn(), false)
})

t.test('client.fetch sends credentials to the API only', async (t) => {
  const server = await startApiServer(t, {})
  const user = await server.createUser()
  const seen: IncomingHttpHeaders[] = []
  const elsewhere = createServer((request, response) => {
    seen.push(request.headers)
    response.end('{}')
  })
  await new Promise<void>((resolve) => { elsewhere.listen(0, '127.0.0.1', resolve) })
  t.teardown(() => { elsewhere.close() })
  const { port } = elsewhere.address() as AddressInfo
  const phone = await signedIn(server, user)

  const answer = await phone.client.fetch(`http://127.0.0.1:${port}/collect`)
  t.equal(answer.status, 200)
  t.equal(seen[0]?.token, undefined, 'another origin never sees the token')
  t.equal((await phone.client.fetch(`${server.baseUrl}/auth/me`)).status, 200, 'an absolute URL of the API is authenticated')
  t.equal((await phone.client.fetch(new Request(`${server.baseUrl}/auth/me`))).status, 200, 'and so is a Request')
  t.equal((await phone.client.fetch(new URL('/auth/sessions', server.baseUrl))).status, 200, 'and a URL')
})

t.test('authErrorFrom makes the methods\' AuthError of an answer of client.fetch, and leaves its body readable', async (t) => {
  const server = await startApiServer(t, {})
  const user = await server.createUser()
  const phone = device(server)

  const taken = await phone.client.fetch('/auth/register', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ account: user.account, password: user.password })
  })
  t.match(await authErrorFrom(taken), { name: 'AuthError', status: 409, errorCode: '1409', info: 'Account already exists' })
  t.match(await taken.json(), { errorCode: '1409' }, 'the caller can still read the answer')

  const proxyPage = new Response('<h1>Bad gateway</h1>', { status: 502, statusText: 'Bad Gateway' })
  t.match(await authErrorFrom(proxyPage), { status: 502, errorCode: '', info: 'Bad Gateway' }, 'a body not in the API\'s shape')
})

t.test('client.fetch sends json as an application/json body, also when it sends the request again after a refresh', async (t) => {
  const server = await startApiServer(t, REFRESH_ENV)
  const user = await server.createUser()
  const storage = memoryStorage()
  const sentContentTypes: Array<string | null> = []
  const recordingFetch: typeof fetch = async (input, init) => {
    sentContentTypes.push(new Headers(init?.headers).get('content-type'))
    return await fetch(input, init)
  }
  const client = createAuthClient({ baseUrl: server.baseUrl, strategy: 'refresh', storage, fetch: recordingFetch })
  await client.login(user.account, user.password)

  const added = await client.fetch('/notes', { method: 'POST', json: { text: 'sent as json' } })
  t.equal(added.status, 201, 'the note is added')
  t.match(await added.json(), { id: Number, text: 'sent as json' })
  t.equal(sentContentTypes.at(-1), 'application/json', 'with content-type: application/json')

  // The string body alone, as fetch sends it: text/plain, which the server does not read.
  const asText = await client.fetch('/notes', { method: 'POST', body: JSON.stringify({ text: 'sent as text' }) })
  t.match(await authErrorFrom(asText), { status: 415, errorCode: '1400', info: 'content-type must be application/json' },
    'without json, the server says the content type is wrong')

  server.expireAccessToken(storage.get()?.token ?? '')
  const afterRefresh = await client.fetch('/notes', { method: 'POST', json: { text: 'sent twice' } })
  t.equal(afterRefresh.status, 201, 'a 1003 refreshes, and the json body is sent again')
  t.equal(server.received('POST', '/auth/refresh'), 1, 'after one refresh')

  const ownType = await client.fetch('/notes', { method: 'POST', json: { text: 'own type' }, headers: { 'content-type': 'application/json; charset=utf-8' } })
  t.equal(ownType.status, 201)
  t.equal(sentContentTypes.at(-1), 'application/json; charset=utf-8', 'a content type the caller names is kept')

  await t.rejects(client.fetch('/notes', { method: 'POST', json: { text: 'x' }, body: '{}' }), TypeError, 'json and body together: a TypeError')
  const listed = await (await client.fetch('/notes')).json() as { notes: Array<{ text: string }> }
  t.same(listed.notes.map((note) => note.text), ['own type', 'sent twice', 'sent as json'], 'exactly the json bodies were stored')
})
