import t from 'tap'
import { memoryStorage, type SessionEndReason } from '../src/index.js'
import { signedInAs, startApiServer } from './helpers/api-server.js'
import { axiosTransport, errorCodeOf, TRANSPORTS } from './helpers/transports.js'

// Tokens are reissued once older than this; the replaced one works for the grace after that.
const ROTATE_AFTER_SECONDS = 1
const ROTATE_GRACE_SECONDS = 1
// Token ages are whole seconds: this is past ROTATE_AFTER however the login second fell.
const PAST_ROTATION_MS = (ROTATE_AFTER_SECONDS + 1) * 1000
const CONCURRENT = 6
const REISSUE_ENV = { SESSION_ROTATE_AFTER: String(ROTATE_AFTER_SECONDS), SESSION_ROTATE_GRACE: String(ROTATE_GRACE_SECONDS) }

for (const transport of TRANSPORTS) {
  t.test(`${transport.name}: x-renewed-token is stored and used from then on`, async (t) => {
    const server = await startApiServer(t, REISSUE_ENV)
    const user = await server.createUser()
    const storage = memoryStorage()
    const ended: SessionEndReason[] = []
    const session = transport.connect({ baseUrl: server.baseUrl, storage, onSessionEnded: (reason) => { ended.push(reason) } })
    await session.client.login(user.account, user.password)
    const original = storage.get()
    server.clock.advance(PAST_ROTATION_MS)

    const answers = await Promise.all(Array.from({ length: CONCURRENT }, async () => await session.request('GET', '/auth/me')))

    t.same(answers.map((answer) => answer.status), Array(CONCURRENT).fill(200))
    const renewed = storage.get()
    t.not(renewed?.token, original?.token, 'the reissued token is stored')
    t.equal(renewed?.sessionId, original?.sessionId, 'for the same session')
    // Past the grace the replaced token is refused; the client no longer sends it.
    // The grace counts from the reissue, which the requests above caused at the clock's time.
    server.clock.advance(ROTATE_GRACE_SECONDS * 1000 + 1)
    const replaced = await server.app.inject({ method: 'GET', url: '/auth/me', headers: { token: original?.token } })
    t.equal(replaced.statusCode, 401, 'the replaced token is refused now')
    t.equal(replaced.json().errorCode, '1001')
    const sentBefore = session.sent.length
    t.equal((await session.request('GET', '/auth/sessions')).status, 200, 'the client works on')
    const sessionsRequest = session.sent.slice(sentBefore).find((sent) => sent.path === '/auth/sessions')
    t.not(sessionsRequest?.token, original?.token, 'with a reissued token')
    t.same(ended, [])
  })
}

t.test('axios: the token is read when the request is sent, not when it was made', async (t) => {
  const server = await startApiServer(t, {})
  const first = await server.createUser()
  const second = await server.createUser()
  const storage = memoryStorage()
  const session = axiosTransport.connect({ baseUrl: server.baseUrl, storage })
  await session.client.login(second.account, second.password)
  const secondTokens = storage.get()
  const firstLogin = signedInAs(await session.client.login(first.account, first.password))

  // axios runs its request interceptors after the call returns: the app logs in as another
  // user in between, and the request goes out as that user.
  const pending = session.request('GET', '/auth/me')
  if (secondTokens === undefined) throw new Error('no tokens stored')
  storage.set(secondTokens)
  const answer = await pending

  t.equal(answer.status, 200)
  t.not(firstLogin.sessionId, secondTokens.sessionId)
  t.match(answer.body, { account: second.account, sessionId: secondTokens.sessionId })
  t.equal(errorCodeOf(answer), undefined)
})
