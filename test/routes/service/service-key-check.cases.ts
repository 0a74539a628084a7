import t from 'tap'
import { newServiceKey } from '../../../src/service-keys/service-key.js'
import { buildTestApp } from '../../helpers/build-app.js'
import { LogCollector } from '../../helpers/log-collector.js'
import { createAndLogIn } from '../../helpers/sessions.js'
import { banUser, BILLING_KEY, bearer, endAllSessions, endSession, listSessions, SERVICE_KEYS_ENV, startSession, SUPPORT_KEY, unbanUser } from './service-requests.js'

// The service key check in front of every /service/ route: who may call, which scope each
// route asks for, the per-IP budget of refused keys, and nothing of a key in the log.

const SESSION_ID = 'AAAAAAAAAAAAAAAAAAAAAA'

interface OpenApiDocument {
  paths: Record<string, Record<string, { security?: unknown, tags?: string[] }>>
  components: { securitySchemes: Record<string, unknown> }
}

t.test('without SERVICE_KEYS no /service/ route exists: 404 "1404", whatever the key', async (t) => {
  const { app } = await buildTestApp(t)
  const answers = await Promise.all([
    startSession(app, { userId: 1 }),
    listSessions(app, 1),
    endSession(app, 1, SESSION_ID),
    endAllSessions(app, 1),
    banUser(app, 1, { reason: 'spam' }),
    unbanUser(app, 1)
  ])
  for (const answer of answers) {
    t.equal(answer.statusCode, 404)
    t.match(answer.json(), { errorCode: '1404' }, answer.json<{ info: string }>().info)
  }
  const { paths } = (await app.inject({ method: 'GET', url: '/docs/json' })).json<OpenApiDocument>()
  t.notOk(Object.keys(paths).some((path) => path.startsWith('/service/')), 'nor in the OpenAPI document')
})

t.test('no key, a malformed or unknown one, a session token: 401 "1401"; a key without the scope: 403 "1403"', async (t) => {
  const { app } = await buildTestApp(t, { env: SERVICE_KEYS_ENV })
  const user = await createAndLogIn(app)
  const refusals: Array<[Record<string, string>, string, string]> = [
    [{}, 'A service key is required: Authorization: Bearer <key>', 'no Authorization header'],
    [{ authorization: BILLING_KEY }, 'The Authorization header is not "Bearer <key>"', 'the key without "Bearer"'],
    [{ authorization: `Basic ${BILLING_KEY}` }, 'The Authorization header is not "Bearer <key>"', 'another scheme'],
    [bearer(newServiceKey()), 'Unknown service key', 'a key SERVICE_KEYS does not list'],
    [bearer(`${BILLING_KEY}x`), 'Unknown service key', 'a configured key and one character more'],
    [bearer(user.token), 'A session token is not a service key', "a user's session token, valid on /auth/me"],
    [{ token: user.token }, 'A service key is required: Authorization: Bearer <key>', 'a session token in the token header']
  ]
  for (const [headers, info, what] of refusals) {
    const answer = await app.inject({ method: 'GET', url: `/service/users/${user.userId}/sessions`, headers })
    t.equal(answer.statusCode, 401, what)
    t.same(answer.json(), { code: 0, errorCode: '1401', info }, `${what}: says why`)
    t.equal(answer.headers['www-authenticate'], 'Bearer', `${what}: WWW-Authenticate`)
  }

  const forbidden = [
    await startSession(app, { userId: user.userId }, SUPPORT_KEY),
    await endSession(app, user.userId, user.sessionId, SUPPORT_KEY),
    await endAllSessions(app, user.userId, undefined, SUPPORT_KEY),
    await banUser(app, user.userId, { reason: 'spam' }, SUPPORT_KEY),
    await unbanUser(app, user.userId, SUPPORT_KEY)
  ]
  const scopes = ['sessions:start', 'sessions:end', 'sessions:end', 'users:ban', 'users:ban']
  forbidden.forEach((answer, index) => {
    t.equal(answer.statusCode, 403)
    t.same(answer.json(), { code: 0, errorCode: '1403', info: `The service key "support" does not have the scope ${scopes[index] ?? ''}` })
  })
  const unchecked = await app.inject({ method: 'POST', url: '/service/sessions', headers: { 'content-type': 'application/json' }, payload: '{"userId": "a b"' })
  t.equal(unchecked.statusCode, 401, 'without a key, not even the body is read: no 400 telling what the route accepts')
  const wrongPath = await app.inject({ method: 'GET', url: '/service/users/a%20b/sessions' })
  t.equal(wrongPath.statusCode, 401, 'nor the path')
  t.equal((await listSessions(app, user.userId, SUPPORT_KEY)).statusCode, 200, 'the scope it has works')
  t.equal((await app.inject({ method: 'GET', url: '/auth/me', headers: { token: user.token } })).statusCode, 200, 'no refusal touched the session')
})

t.test('refused keys are counted per client IP: over RATE_LIMIT_SERVICE_KEY_IP, 429 "1029" even for the right key', async (t) => {
  const { app } = await buildTestApp(t, { env: { ...SERVICE_KEYS_ENV, RATE_LIMIT_SERVICE_KEY_IP: '3' } })
  const from = (remoteAddress: string, key: string): Promise<{ statusCode: number, headers: Record<string, unknown>, body: string }> =>
    app.inject({ method: 'GET', url: '/service/users/1/sessions', headers: bearer(key), remoteAddress })
  const guesser = '203.0.113.7'

  for (let i = 0; i < 5; i++) t.equal((await from(guesser, BILLING_KEY)).statusCode, 200, `a known key is not counted (${i + 1})`)
  t.equal((await startSession(app, { userId: 1 }, SUPPORT_KEY)).statusCode, 403, 'nor is a known key without the scope')
  for (let i = 0; i < 3; i++) t.equal((await from(guesser, newServiceKey())).statusCode, 401, `refused key ${i + 1} of 3`)

  const over = await from(guesser, newServiceKey())
  t.equal(over.statusCode, 429, 'the fourth refused key in the window')
  t.match(JSON.parse(over.body), { errorCode: '1029' })
  t.ok(Number(over.headers['retry-after']) > 0, `Retry-After: ${String(over.headers['retry-after'])}`)
  t.equal((await from(guesser, BILLING_KEY)).statusCode, 429, 'the right key too: a guess cannot tell it found one')
  t.equal((await from('198.51.100.9', BILLING_KEY)).statusCode, 200, 'another client keeps its budget')
})

// A known key is never charged, not even for a moment: a backend with more requests in flight
// than the budget holds (40 against 3, in rounds) gets 200 for every one. Before, each request
// took an attempt until its key was found known, and requests past the budget got 429.
t.test('a backend with many requests in flight on the right key never meets the refused-key budget', async (t) => {
  const { app } = await buildTestApp(t, { env: { ...SERVICE_KEYS_ENV, RATE_LIMIT_SERVICE_KEY_IP: '3' } })
  const inFlight = 40
  for (let round = 1; round <= 3; round++) {
    const statuses = await Promise.all(Array.from({ length: inFlight }, async () =>
      (await app.inject({ method: 'GET', url: '/service/users/1/sessions', headers: bearer(BILLING_KEY), remoteAddress: '203.0.113.8' })).statusCode))
    t.same(statuses.filter((status) => status !== 200), [], `round ${round}: ${inFlight} at once, every one 200`)
  }
})

t.test('the OpenAPI document describes the /service/ routes with the serviceKey scheme', async (t) => {
  const { app } = await buildTestApp(t, { env: SERVICE_KEYS_ENV })
  const document = (await app.inject({ method: 'GET', url: '/docs/json' })).json<OpenApiDocument>()
  t.match(document.components.securitySchemes.serviceKey, { type: 'http', scheme: 'bearer' }, 'a bearer scheme of its own')
  const operations = Object.entries(document.paths)
    .filter(([path]) => path.startsWith('/service/'))
    .flatMap(([path, byMethod]) => Object.entries(byMethod).map(([method, operation]) => [`${method.toUpperCase()} ${path}`, operation] as const))
  t.same(operations.map(([name]) => name).sort(), [
    'DELETE /service/users/{userId}/ban', 'DELETE /service/users/{userId}/sessions', 'DELETE /service/users/{userId}/sessions/{sessionId}',
    'GET /service/users/{userId}/sessions', 'POST /service/sessions', 'PUT /service/users/{userId}/ban'
  ], 'the six routes')
  for (const [name, operation] of operations) t.same(operation.security, [{ serviceKey: [] }], `${name}: the service key, no session`)
})

t.test('no key reaches the log, at any level', async (t) => {
  const logs = new LogCollector()
  const { app } = await buildTestApp(t, { env: { ...SERVICE_KEYS_ENV, LOG_LEVEL: 'trace' }, logStream: logs })
  const unknownKey = newServiceKey()
  t.equal((await startSession(app, { userId: 42 })).statusCode, 201)
  t.equal((await listSessions(app, 42, unknownKey)).statusCode, 401)
  t.equal((await startSession(app, { userId: 0 })).statusCode, 400)
  t.ok(logs.lines().length >= 6, `the requests were logged (${logs.lines().length} lines)`)
  for (const key of [BILLING_KEY, unknownKey]) t.notOk(logs.text.includes(key.slice('tsa_sk_'.length)), 'the key is not in the log')
})
