import t from 'tap'
import { memoryStorage, NotReplayableError, type SessionEndReason, type StoredTokens, type TokenStorage } from '../src/index.js'
import { REFRESH_ENV, startApiServer, type ApiServer } from './helpers/api-server.js'
import { errorCodeOf, postStream, TRANSPORTS, type Connected, type Transport } from './helpers/transports.js'

// Enough rounds and requests that a broken single flight (two refreshes racing) shows.
const ROUNDS = 4
const CONCURRENT = 8
const REUSE_GRACE_SECONDS = 1

interface Signedin extends Connected {
  storage: TokenStorage
  ended: SessionEndReason[]
  tokens: () => StoredTokens
}

async function signIn (server: ApiServer, transport: Transport): Promise<Signedin> {
  const user = await server.createUser()
  const storage = memoryStorage()
  const ended: SessionEndReason[] = []
  const connected = transport.connect({
    baseUrl: server.baseUrl, strategy: 'refresh', storage, onSessionEnded: (reason) => { ended.push(reason) }
  })
  await connected.client.login(user.account, user.password)
  const tokens = (): StoredTokens => {
    const stored = storage.get()
    if (stored === undefined) throw new Error('no tokens stored')
    return stored
  }
  return { ...connected, storage, ended, tokens }
}

async function concurrently<T> (count: number, task: () => Promise<T>): Promise<T[]> {
  return await Promise.all(Array.from({ length: count }, task))
}

for (const transport of TRANSPORTS) {
  t.test(`${transport.name}: concurrent 1003s cause one refresh, and every retry carries the new token`, async (t) => {
    const server = await startApiServer(t, REFRESH_ENV)
    const session = await signIn(server, transport)
    t.ok(session.tokens().refreshToken, 'login stored a refresh token')
    for (let round = 1; round <= ROUNDS; round++) {
      const before = session.tokens()
      server.expireAccessToken(before.token)
      const refreshes = server.received('POST', '/auth/refresh')
      const sentBefore = session.sent.length

      const answers = await concurrently(CONCURRENT, async () => await session.request('GET', '/auth/me'))

      t.same(answers.map((answer) => answer.status), Array(CONCURRENT).fill(200), `round ${round}: every request succeeded`)
      t.equal(server.received('POST', '/auth/refresh') - refreshes, 1, `round ${round}: the server saw one refresh`)
      const after = session.tokens()
      t.not(after.token, before.token, 'a new access token is stored')
      t.not(after.refreshToken, before.refreshToken, 'and a new refresh token')
      t.equal(after.sessionId, before.sessionId, 'for the same session')
      const meRequests = session.sent.slice(sentBefore).filter((sent) => sent.path === '/auth/me')
      t.equal(meRequests.length, 2 * CONCURRENT, 'each request was sent twice, no more')
      t.equal(meRequests.filter((sent) => sent.token === before.token).length, CONCURRENT, 'first with the expired token')
      t.equal(meRequests.filter((sent) => sent.token === after.token).length, CONCURRENT, 'then with the new one')
    }
    t.same(session.ended, [], 'the session never ended')
  })

  t.test(`${transport.name}: a refresh of a session logged out elsewhere ends it once, with the reason`, async (t) => {
    const server = await startApiServer(t, REFRESH_ENV)
    const session = await signIn(server, transport)
    const { token } = session.tokens()
    // Another copy of the app holding the same session logs out while the token is valid.
    const logout = await server.app.inject({ method: 'POST', url: '/auth/logout', headers: { token } })
    t.equal(logout.statusCode, 200)
    server.expireAccessToken(token)
    const refreshes = server.received('POST', '/auth/refresh')

    const answers = await concurrently(CONCURRENT, async () => await session.request('GET', '/auth/me'))

    t.same(answers.map((answer) => answer.status), Array(CONCURRENT).fill(401), 'every caller gets the 401')
    t.equal(server.received('POST', '/auth/refresh') - refreshes, 1, 'one refresh told the session was over')
    t.same(session.ended, ['logout'], 'onSessionEnded was called once, with the reason')
    t.equal(session.storage.get(), undefined, 'the tokens are gone')
    t.equal(session.client.isSignedIn(), false)
  })

  t.test(`${transport.name}: a refresh token reused by someone else ends the session as refresh_reused`, async (t) => {
    const server = await startApiServer(t, { ...REFRESH_ENV, REFRESH_REUSE_GRACE: String(REUSE_GRACE_SECONDS) })
    const session = await signIn(server, transport)
    const copied = session.tokens()
    server.expireAccessToken(copied.token)
    t.equal((await session.request('GET', '/auth/me')).status, 200, 'the app refreshed')
    // The copy is presented after the reuse grace: the server presumes theft and revokes.
    server.clock.advance(REUSE_GRACE_SECONDS * 1000 + 1)
    const theft = await server.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: copied.refreshToken } })
    t.equal(theft.statusCode, 401)
    t.equal(theft.json().errorCode, '1004')

    const answer = await session.request('GET', '/auth/me')
    t.equal(answer.status, 401)
    t.equal(errorCodeOf(answer), '1002')
    t.same(session.ended, ['refresh_reused'])
    t.equal(session.storage.get(), undefined)
  })

  t.test(`${transport.name}: a refresh token used first by someone else ends the session (1004)`, async (t) => {
    const server = await startApiServer(t, { ...REFRESH_ENV, REFRESH_REUSE_GRACE: String(REUSE_GRACE_SECONDS) })
    const session = await signIn(server, transport)
    const { token, refreshToken } = session.tokens()
    const stolen = await server.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken } })
    t.equal(stolen.statusCode, 200)
    server.expireAccessToken(token)
    server.clock.advance(REUSE_GRACE_SECONDS * 1000 + 1)

    const answers = await concurrently(CONCURRENT, async () => await session.request('GET', '/auth/me'))

    t.same(answers.map((answer) => answer.status), Array(CONCURRENT).fill(401))
    t.same(session.ended, ['invalid_refresh_token'], 'ended once')
    t.equal(session.storage.get(), undefined)
  })

  t.test(`${transport.name}: a body that cannot be sent again is not retried after a refresh`, async (t) => {
    const server = await startApiServer(t, REFRESH_ENV)
    const session = await signIn(server, transport)
    const before = session.tokens()
    server.expireAccessToken(before.token)
    const json = JSON.stringify({ oldPassword: 'wrong password', newPassword: 'another long password' })

    await t.rejects(postStream(transport, session, server.baseUrl, '/auth/password', json), NotReplayableError)

    t.equal(server.received('POST', '/auth/password'), 1, 'the request was sent once')
    t.equal(server.received('POST', '/auth/refresh'), 1, 'the tokens were refreshed')
    t.not(session.tokens().token, before.token, 'so the caller can send it again')
    t.equal((await session.request('GET', '/auth/me')).status, 200)
    t.equal(server.received('POST', '/auth/refresh'), 1, 'without another refresh')
    t.same(session.ended, [])
  })

  t.test(`${transport.name}: sliding strategy: 1002 and 1001 end the session, nothing is refreshed`, async (t) => {
    const server = await startApiServer(t, {})
    const user = await server.createUser()
    const storage = memoryStorage()
    const ended: SessionEndReason[] = []
    const session = transport.connect({ baseUrl: server.baseUrl, storage, onSessionEnded: (reason) => { ended.push(reason) } })
    await session.client.login(user.account, user.password)
    t.equal((await session.request('GET', '/auth/me')).status, 200)
    const token = storage.get()?.token
    const logout = await server.app.inject({ method: 'POST', url: '/auth/logout', headers: { token } })
    t.equal(logout.statusCode, 200)

    const answers = await concurrently(CONCURRENT, async () => await session.request('GET', '/auth/me'))
    t.same(answers.map((answer) => answer.status), Array(CONCURRENT).fill(401))
    t.same(ended, ['logout'], 'ended once, with the reason')
    t.equal(storage.get(), undefined)

    await session.client.login(user.account, user.password)
    const stored = storage.get()
    if (stored === undefined) throw new Error('login stored nothing')
    storage.set({ ...stored, token: `${stored.token}x` })
    const tampered = await session.request('GET', '/auth/me')
    t.equal(tampered.status, 401)
    t.equal(errorCodeOf(tampered), '1001')
    t.same(ended, ['logout', 'invalid_token'], 'a token the server refuses ends the session')
    t.equal(server.received('POST', '/auth/refresh'), 0, 'no refresh was tried')
  })
}
