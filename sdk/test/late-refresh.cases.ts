import t from 'tap'
import { createAuthClient, memoryStorage, type SessionEndReason } from '../src/index.js'
import { REFRESH_ENV, startApiServer } from './helpers/api-server.js'

// A refresh whose answer comes late, after the app has moved on: the app's newer state wins.
// The real server answers; only the refresh is held back until the test lets it go.
function heldRefreshFetch (): { fetch: typeof fetch, release: () => void, held: Promise<void> } {
  let release = (): void => {}
  let markHeld = (): void => {}
  const gate = new Promise<void>((resolve) => { release = resolve })
  const held = new Promise<void>((resolve) => { markHeld = resolve })
  const holding: typeof fetch = async (input, init) => {
    if (String(input).endsWith('/auth/refresh')) {
      markHeld()
      await gate
    }
    return await fetch(input, init)
  }
  return { fetch: holding, release, held }
}

t.test('a refresh answered after a login as someone else does not replace the new session', async (t) => {
  const server = await startApiServer(t, REFRESH_ENV)
  const [first, second] = [await server.createUser(), await server.createUser()]
  const storage = memoryStorage()
  const ended: SessionEndReason[] = []
  const gate = heldRefreshFetch()
  const client = createAuthClient({ baseUrl: server.baseUrl, strategy: 'refresh', storage, fetch: gate.fetch, onSessionEnded: (reason) => { ended.push(reason) } })
  t.teardown(() => client.close())
  await client.login(first.account, first.password)
  const firstTokens = storage.get()
  server.expireAccessToken(firstTokens?.token ?? '')

  const request = client.fetch(`${server.baseUrl}/auth/me`)
  await gate.held
  await client.login(second.account, second.password)
  const secondSession = storage.get()?.sessionId
  gate.release()
  const answer = await request

  t.equal(storage.get()?.sessionId, secondSession, 'the session signed in last is kept')
  t.not(secondSession, firstTokens?.sessionId)
  t.equal(answer.status, 200, 'the waiting request went out again, with the new session')
  t.equal((await answer.json() as { account: string }).account, second.account)
  t.same(ended, [], 'nothing ended for the app')
})

t.test('a refresh refused for a session the client no longer holds does not sign the app out', async (t) => {
  const server = await startApiServer(t, REFRESH_ENV)
  const user = await server.createUser()
  const storage = memoryStorage()
  const ended: SessionEndReason[] = []
  const gate = heldRefreshFetch()
  const client = createAuthClient({ baseUrl: server.baseUrl, strategy: 'refresh', storage, fetch: gate.fetch, onSessionEnded: (reason) => { ended.push(reason) } })
  t.teardown(() => client.close())
  await client.login(user.account, user.password)
  server.expireAccessToken(storage.get()?.token ?? '')

  const request = client.fetch(`${server.baseUrl}/auth/me`)
  await gate.held
  // Another device changes the password: every session ends; then this client signs in again.
  const other = createAuthClient({ baseUrl: server.baseUrl, strategy: 'refresh' })
  t.teardown(() => other.close())
  await other.login(user.account, user.password)
  await other.changePassword(user.password, 'a brand new password')
  await client.login(user.account, 'a brand new password')
  const fresh = storage.get()?.sessionId
  gate.release()
  const answer = await request

  t.equal(client.isSignedIn(), true, 'still signed in')
  t.equal(storage.get()?.sessionId, fresh, 'with the new session')
  t.same(ended, [], 'the old session\'s password_changed is no news to the app')
  t.equal(answer.status, 200, 'the waiting request went out again, with the new session')
})
