import t from 'tap'
import { AuthError, createAuthClient, ERROR_CODES, memoryStorage, type SessionEndReason } from '../src/index.js'
import { REFRESH_ENV, startApiServer } from './helpers/api-server.js'
import { TRANSPORTS } from './helpers/transports.js'

const HOUR_MS = 60 * 60 * 1000

// A banned account: its session ends as 'banned', and signing in throws 1011 with the ban's end.
t.test('a ban ends the session as banned, and login throws 1011 with until', async (t) => {
  const server = await startApiServer(t, {})
  const user = await server.createUser()
  const ended: SessionEndReason[] = []
  const client = createAuthClient({ baseUrl: server.baseUrl, storage: memoryStorage(), onSessionEnded: (reason) => { ended.push(reason) } })
  await client.login(user.account, user.password)
  const until = new Date(server.clock.now() + HOUR_MS)
  await server.app.sessions.ban(user.userId, { reason: 'spam', until })

  await t.rejects(client.me(), { name: 'AuthError', status: 401, errorCode: '1002', reason: 'banned' })
  t.same(ended, ['banned'], 'onSessionEnded is told why')
  const refused = await client.login(user.account, user.password).then(() => undefined, (error: unknown) => error)
  t.ok(refused instanceof AuthError, 'login throws an AuthError')
  t.match(refused, { status: 403, errorCode: ERROR_CODES.accountDisabled, reason: 'banned', until: until.toISOString() }, 'with the code, the reason and until')
  t.equal(client.isSignedIn(), false)
})

for (const transport of TRANSPORTS) {
  t.test(`${transport.name}: a refresh answered 403 "1011" ends the session as banned`, async (t) => {
    const server = await startApiServer(t, REFRESH_ENV)
    const user = await server.createUser()
    const storage = memoryStorage()
    const ended: SessionEndReason[] = []
    const session = transport.connect({ baseUrl: server.baseUrl, strategy: 'refresh', storage, onSessionEnded: (reason) => { ended.push(reason) } })
    await session.client.login(user.account, user.password)
    const token = storage.get()?.token ?? ''
    await server.app.sessions.ban(user.userId, { reason: 'spam' })
    // The access token runs out first: the check answers 1003, and the refresh meets the ban.
    server.expireAccessToken(token)
    const refreshes = server.received('POST', '/auth/refresh')

    const answer = await session.request('GET', '/auth/me')
    t.not(answer.status, 200, 'the request is refused')
    t.equal(server.received('POST', '/auth/refresh') - refreshes, 1, 'after one refresh')
    t.same(ended, ['banned'], 'onSessionEnded was called once, with banned')
    t.equal(storage.get(), undefined, 'the tokens are gone')
  })
}
