import t from 'tap'
import type { TestUser } from '../../test/helpers/sessions.js'
import { AuthError, createAuthClient, ERROR_CODES, memoryStorage, type AuthClient, type SessionEndReason, type TokenStorage } from '../src/index.js'
import { signedInAs, startApiServer, type ApiServer } from './helpers/api-server.js'

// Device types and "remember me" (issue 26 §1, §2) as a client meets them: the client's
// `deviceType` and login's `rememberMe` reach the server, a phone replaced by another phone ends
// as 'replaced', and a tv beyond its refuse_new cap throws 1013.

const RULES = JSON.stringify({
  phone: { maxSessions: 1, onOverflow: 'end_oldest' },
  tv: { maxSessions: 1, onOverflow: 'refuse_new' }
})
const NOT_REMEMBERED_TTL_SECONDS = 600

interface Device {
  client: AuthClient
  storage: TokenStorage
  ended: SessionEndReason[]
}

function device (server: ApiServer, deviceType: string): Device {
  const ended: SessionEndReason[] = []
  const storage = memoryStorage()
  const client = createAuthClient({ baseUrl: server.baseUrl, storage, deviceType, onSessionEnded: (reason) => { ended.push(reason) } })
  return { client, storage, ended }
}

async function signedIn (server: ApiServer, user: TestUser, deviceType: string): Promise<Device> {
  const signed = device(server, deviceType)
  await signed.client.login(user.account, user.password)
  return signed
}

t.test("a second phone replaces the first: its next request ends the session as 'replaced'", async (t) => {
  const server = await startApiServer(t, { SESSION_DEVICE_RULES: RULES })
  const user = await server.createUser()
  const firstPhone = await signedIn(server, user, 'phone')
  t.match(await firstPhone.client.me(), { deviceType: 'phone' }, 'the client\'s deviceType reached the session')
  const secondPhone = await signedIn(server, user, 'phone')

  const refused = await firstPhone.client.me().then(() => undefined, (error: unknown) => error)
  t.ok(refused instanceof AuthError, 'me() throws an AuthError')
  t.match(refused, { status: 401, errorCode: ERROR_CODES.sessionEnded, reason: 'replaced' })
  t.same(firstPhone.ended, ['replaced'], 'onSessionEnded is told the session was replaced')
  t.equal(firstPhone.client.isSignedIn(), false, 'and the tokens are gone')
  t.match(await secondPhone.client.me(), { deviceType: 'phone' }, 'the second phone is signed in')
  t.same(secondPhone.ended, [])
})

t.test('a second tv beyond refuse_new: login throws AuthError 409 "1013", and nothing is kept', async (t) => {
  const server = await startApiServer(t, { SESSION_DEVICE_RULES: RULES })
  const user = await server.createUser()
  const firstTv = await signedIn(server, user, 'tv')
  const secondTv = device(server, 'tv')

  const refused = await secondTv.client.login(user.account, user.password).then(() => undefined, (error: unknown) => error)
  t.ok(refused instanceof AuthError, 'login throws an AuthError')
  t.match(refused, { status: 409, errorCode: ERROR_CODES.deviceTypeFull })
  t.equal(ERROR_CODES.deviceTypeFull, '1013')
  t.equal(secondTv.storage.get(), undefined, 'the refused client stores no tokens')
  t.same(secondTv.ended, [], 'a refused login is no ended session')
  t.match(await firstTv.client.me(), { deviceType: 'tv' }, 'the first tv stays signed in')
})

t.test('login(account, password, { rememberMe: false }): the server keeps the session for SESSION_TTL_NOT_REMEMBERED', async (t) => {
  const server = await startApiServer(t, { SESSION_TTL_NOT_REMEMBERED: String(NOT_REMEMBERED_TTL_SECONDS) })
  const user = await server.createUser()
  const ttlOf = async (sessionId: string): Promise<number> =>
    await server.app.redis.ttl(`${server.app.config.REDIS_KEY_PREFIX}ACCESS_TOKEN:{${user.userId}}:${sessionId}`)
  const browser = device(server, 'web')
  const notRemembered = signedInAs(await browser.client.login(user.account, user.password, { rememberMe: false }))
  const ttl = await ttlOf(notRemembered.sessionId)
  t.ok(ttl > NOT_REMEMBERED_TTL_SECONDS - 10 && ttl <= NOT_REMEMBERED_TTL_SECONDS, `not remembered: ${ttl} s`)
  const remembered = signedInAs(await device(server, 'web').client.login(user.account, user.password))
  t.ok(await ttlOf(remembered.sessionId) > NOT_REMEMBERED_TTL_SECONDS, 'remembered by default: SESSION_TTL')
})
