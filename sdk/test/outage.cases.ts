import t from 'tap'
import { freePort } from '../../test/helpers/free-port.js'
import { RedisServer } from '../../test/helpers/redis-server.js'
import { memoryStorage, type AuthClientOptions, type SessionEndReason, type StoredTokens } from '../src/index.js'
import { REFRESH_ENV, startApiServer, waitUntilReady, type ApiServer } from './helpers/api-server.js'
import { errorCodeOf, TRANSPORTS, type Connected, type Transport } from './helpers/transports.js'

const CONCURRENT = 6

interface Session extends Connected {
  ended: SessionEndReason[]
  tokens: () => StoredTokens | undefined
}

async function signIn (server: ApiServer, transport: Transport, options: Partial<AuthClientOptions> = {}): Promise<Session> {
  const user = await server.createUser()
  const storage = memoryStorage()
  const ended: SessionEndReason[] = []
  const connected = transport.connect({
    baseUrl: server.baseUrl, strategy: 'refresh', storage, onSessionEnded: (reason) => { ended.push(reason) }, ...options
  })
  await connected.client.login(user.account, user.password)
  return { ...connected, ended, tokens: () => storage.get() }
}

function tokenOf (session: Session): string {
  const token = session.tokens()?.token
  if (token === undefined) throw new Error('no token stored')
  return token
}

for (const transport of TRANSPORTS) {
  t.test(`${transport.name}: a 503 leaves the session intact, and it works again once Redis is back`, async (t) => {
    const redisServer = await RedisServer.start({ persistent: true })
    t.teardown(async () => await redisServer.destroy())
    const server = await startApiServer(t, REFRESH_ENV, redisServer)
    const session = await signIn(server, transport)
    const before = session.tokens()

    await redisServer.stop()
    const down = await session.request('GET', '/auth/me')
    t.equal(down.status, 503, 'a request while Redis is down answers 503')
    t.equal(errorCodeOf(down), '1503')

    server.expireAccessToken(tokenOf(session))
    const refreshes = server.received('POST', '/auth/refresh')
    const answers = await Promise.all(Array.from({ length: CONCURRENT }, async () => await session.request('GET', '/auth/me')))
    t.same(answers.map((answer) => answer.status), Array(CONCURRENT).fill(503), 'a refresh that meets the outage answers every caller 503')
    t.same(answers.map(errorCodeOf), Array(CONCURRENT).fill('1503'))
    // Answers that arrive after a failed refresh try again: Redis may be back by then.
    t.ok(server.received('POST', '/auth/refresh') > refreshes, 'a refresh was tried')
    await t.rejects(session.client.me(), { name: 'AuthError', status: 503, errorCode: '1503' }, 'methods throw the 503 as an AuthError')
    t.same(session.tokens(), before, 'the tokens are kept')
    t.same(session.ended, [], 'the session did not end')
    t.equal(session.client.isSignedIn(), true)

    await redisServer.restart()
    await waitUntilReady(server.app)
    const back = await session.request('GET', '/auth/me')
    t.equal(back.status, 200, 'the same session works again')
    t.not(tokenOf(session), before?.token, 'after a refresh')
    t.same(session.ended, [])
  })

  t.test(`${transport.name}: a 429 from the refresh leaves the session intact`, async (t) => {
    const server = await startApiServer(t, { ...REFRESH_ENV, RATE_LIMIT_REFRESH_SESSION: '1' })
    const session = await signIn(server, transport)
    server.expireAccessToken(tokenOf(session))
    t.equal((await session.request('GET', '/auth/me')).status, 200, 'the first refresh is allowed')
    const before = session.tokens()
    server.expireAccessToken(tokenOf(session))

    const limited = await session.request('GET', '/auth/me')

    t.equal(limited.status, 429, 'the caller gets the 429')
    t.equal(errorCodeOf(limited), '1029')
    t.same(session.tokens(), before, 'the tokens are kept')
    t.same(session.ended, [])
  })

  t.test(`${transport.name}: network errors reach the caller unchanged and end nothing`, async (t) => {
    const server = await startApiServer(t, REFRESH_ENV)
    const refused = new TypeError('fetch failed')
    let failRefresh = false
    // The connection to the refresh route breaks once.
    const flakyFetch: typeof fetch = async (input, init) => {
      const url = input instanceof Request ? input.url : String(input)
      if (failRefresh && new URL(url).pathname === '/auth/refresh') {
        failRefresh = false
        throw refused
      }
      return await fetch(input, init)
    }
    const session = await signIn(server, transport, { fetch: flakyFetch })
    const before = session.tokens()
    server.expireAccessToken(tokenOf(session))

    failRefresh = true
    await t.rejects(session.request('GET', '/auth/me'), refused, 'the refresh\'s network error is the caller\'s')
    t.same(session.tokens(), before, 'the tokens are kept')
    t.same(session.ended, [])
    t.equal((await session.request('GET', '/auth/me')).status, 200, 'the next request refreshes and succeeds')

    // The same tokens, used by a client of an address where nothing listens.
    const stored = session.tokens()
    if (stored === undefined) throw new Error('no tokens stored')
    const storage = memoryStorage()
    storage.set(stored)
    const ended: SessionEndReason[] = []
    const offline = transport.connect({
      baseUrl: `http://127.0.0.1:${await freePort()}`, strategy: 'refresh', storage, onSessionEnded: (reason) => { ended.push(reason) }
    })
    await t.rejects(offline.request('GET', '/auth/me'), 'a refused connection rejects')
    t.same(storage.get(), stored, 'and keeps the tokens')
    t.same(ended, [])
  })
}
