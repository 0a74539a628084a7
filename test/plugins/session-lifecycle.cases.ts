import { setTimeout as sleep } from 'node:timers/promises'
import Fastify, { type FastifyInstance } from 'fastify'
import { createPublicKey, generateKeyPairSync } from 'node:crypto'
import t, { type Test } from 'tap'
import sessionCheck, { GenerationMovedError, SessionLifecycleUnavailableError, type SessionCheckOptions } from '../../session-check/index.js'
import { eventSigningKey, verifyEventSignature } from '../../src/events/event-signature.js'
import { entryField, eventOfEntry } from '../../src/events/event-stream.js'
import { buildTestApp, TEST_JWT_SECRET } from '../helpers/build-app.js'
import { createAndLogIn, createUser, me } from '../helpers/sessions.js'
import { forEachStrategy, appOptions, refresh } from '../helpers/strategies.js'
import { pluginOptionsOf } from '../helpers/plugin-options.js'

// app.sessions in another Fastify service: a login of its own (here: a route that trusts the
// body, as a phone-code check would after checking the code), sessions the auth server honours.

interface SignInBody { userId: number | string, account?: string, deviceId?: string, rememberMe?: boolean }

async function serviceWithOwnLogin (t: Test, options: SessionCheckOptions): Promise<FastifyInstance> {
  const service = Fastify()
  t.teardown(async () => await service.close())
  await service.register(sessionCheck, options)
  service.post<{ Body: SignInBody }>('/sign-in', async (request, reply) =>
    await service.sessions.start({ ...request.body, authMethod: 'phone_code' }, { request, reply }))
  service.get('/whoami', { preHandler: service.authenticate }, async (request) => request.user)
  await service.ready()
  return service
}

// The service is another instance: the auth server refuses what it ended once Redis' invalidation
// has reached the auth server's near-cache (docs/near-cache.md), which this waits for.
async function invalidationsArrived (app: FastifyInstance): Promise<void> {
  await app.nearCache?.sync()
}

t.test('app.sessions.start in another service: a session like a login\'s, on every strategy', async (t) => {
  forEachStrategy(t, async (t, strategy) => {
    const { app, config } = await buildTestApp(t, appOptions(strategy))
    const service = await serviceWithOwnLogin(t, pluginOptionsOf(config, { databaseUrl: config.DATABASE_URL }))
    const started = await service.inject({
      method: 'POST', url: '/sign-in', payload: { userId: 4242, account: 'phone:+15550100', deviceId: 'pixel' }, headers: { 'user-agent': 'curl/8.5.0' }
    })
    t.equal(started.statusCode, 200)
    const issued = started.json<{ token: string, userId: number, userType: string, sessionId: string, refreshToken?: string, expiresIn?: number }>()
    t.same(Object.keys(issued).sort(), strategy.refresh
      ? ['expiresIn', 'refreshExpiresIn', 'refreshToken', 'result', 'sessionId', 'token', 'userId', 'userType']
      : ['result', 'sessionId', 'token', 'userId', 'userType'], 'the body a login answers')
    t.equal(issued.userType, 'user', 'userType defaults to user')
    const cookieNames = started.cookies.map((cookie) => cookie.name).sort()
    t.same(cookieNames, strategy.refresh ? ['accessToken', 'csrfToken', 'refreshToken'] : ['accessToken', 'csrfToken'], 'and the cookies a login sets')

    const onServer = await me(app, issued.token)
    t.equal(onServer.statusCode, 200, 'the auth server honours it')
    const loginAt = (await app.sessions.list(4242))[0]?.loginAt
    t.same(onServer.json(), { userId: 4242, userType: 'user', deviceType: null, account: 'phone:+15550100', sessionId: issued.sessionId, authAt: loginAt, amr: [] }, 'signed in at its start (an app method it was not told the amr of: none)')
    const listed = await app.inject({ method: 'GET', url: '/auth/sessions', headers: { token: issued.token } })
    t.match(listed.json(), { sessions: [{ id: issued.sessionId, deviceId: 'pixel', userAgent: 'curl/8.5.0', ip: '127.0.0.1', current: true }] })
    t.same(await service.sessions.list(4242), await app.sessions.list(4242), 'the same list from either side')

    if (issued.refreshToken !== undefined) {
      const refreshed = await refresh(app, issued.refreshToken)
      t.equal(refreshed.statusCode, 200, 'its refresh token rotates on the auth server')
    }
    t.equal(await service.sessions.end(4242, issued.sessionId), true, 'end')
    await invalidationsArrived(app)
    const ended = await me(app, issued.token)
    t.equal(ended.json<{ reason: string }>().reason, 'revoked', 'reason revoked unless given')
    t.equal(await service.sessions.end(4242, issued.sessionId), false, 'ended once')
  })
})

t.test('endAll: every session of the user, or all but one, with the reason given; refresh tokens too', async (t) => {
  forEachStrategy(t, async (t, strategy) => {
    const { app, config } = await buildTestApp(t, appOptions(strategy))
    const service = await serviceWithOwnLogin(t, pluginOptionsOf(config, { databaseUrl: config.DATABASE_URL }))
    const user = await createAndLogIn(app)
    const second = await service.sessions.start({ userId: user.userId, account: user.account })
    const third = await service.sessions.start({ userId: user.userId, account: user.account })
    t.equal(await service.sessions.endAll(user.userId, { reason: 'password_changed', except: third.sessionId }), 2, 'two ended')
    await invalidationsArrived(app)
    t.equal((await me(app, user.token)).json<{ reason: string }>().reason, 'password_changed')
    t.equal((await me(app, second.token)).json<{ reason: string }>().reason, 'password_changed')
    t.equal((await me(app, third.token)).statusCode, 200, 'the one kept lives on')
    if (second.refreshToken !== undefined) {
      t.equal((await refresh(app, second.refreshToken)).json<{ errorCode: string }>().errorCode, '1002', "an ended session's refresh token is refused")
    }
    t.equal(await service.sessions.endAll(user.userId), 1, 'then the last one, reason revoked by default')
    await invalidationsArrived(app)
    t.equal((await me(app, third.token)).json<{ reason: string }>().reason, 'revoked')
    // An app with its own user store resets passwords its own way, and says so.
    const fourth = await service.sessions.start({ userId: user.userId, account: user.account })
    t.equal(await service.sessions.endAll(user.userId, { reason: 'password_reset' }), 1)
    t.equal((await me(app, fourth.token)).json<{ reason: string }>().reason, 'password_reset')
    await t.rejects(service.sessions.endAll(user.userId, { reason: 'expired' as 'revoked' }), { statusCode: 400, message: /reason must be one of/ })
  })
})

t.test('start does what a login does: the cap evicts the oldest, an account-less session has no account', async (t) => {
  const { app, config } = await buildTestApp(t, { env: { SESSION_MAX_PER_USER: '2' } })
  const service = await serviceWithOwnLogin(t, pluginOptionsOf(config, { sessionMaxPerUser: 2 }))
  const userId = '018f3a7e-2b1c-7d4e-9a5b-3c2d1e0f9a8b'.replaceAll('-', '_')
  // The cap ends the session with the oldest login time, in milliseconds: logins apart by one.
  const started = []
  for (let login = 0; login < 3; login++) {
    if (login > 0) await sleep(2)
    started.push(await service.sessions.start({ userId }))
  }
  const [first, second, third] = started
  t.equal((await me(app, first?.token ?? '')).json<{ reason: string }>().reason, 'evicted', 'the oldest is evicted')
  t.equal((await me(app, second?.token ?? '')).statusCode, 200)
  const who = await me(app, third?.token ?? '')
  const authAt = (await app.sessions.list(userId)).find((view) => view.id === third?.sessionId)?.loginAt
  t.same(who.json(), { userId, userType: 'user', deviceType: null, sessionId: third?.sessionId, authAt, amr: [] }, 'no account, no account field')
  const whoHere = await service.inject({ method: 'GET', url: '/whoami', headers: { token: third?.token ?? '' } })
  t.same(whoHere.json(), { userId, userType: 'user', sessionId: third?.sessionId, deviceType: null, authAt, amr: [] }, 'request.user the same, with no device type')
  t.notOk((await service.inject({ method: 'POST', url: '/sign-in', payload: { userId } })).cookies.some((cookie) => cookie.name === 'loginUser'),
    'no account cookie for a session without an account')
})

t.test('start refuses what no login could be, and says why it cannot start sessions at all', async (t) => {
  const { config } = await buildTestApp(t)
  const service = await serviceWithOwnLogin(t, pluginOptionsOf(config))
  for (const userId of [0, -1, 1.5, 2 ** 31, '', 'a b', 'x'.repeat(65), 'ü', null]) {
    await t.rejects(service.sessions.start({ userId: userId as number }), { statusCode: 400, message: /userId must be/ }, `userId ${JSON.stringify(userId)}`)
  }
  await t.rejects(service.sessions.start({ userId: 1, userType: 'root' as 'user' }), { message: /userType must be one of/ })
  await t.rejects(service.sessions.start({ userId: 1, authMethod: 'Phone Code' }), { message: /authMethod must be/ })
  await t.rejects(service.sessions.start({ userId: 1, ip: 'localhost' }), { message: /ip must be/ })
  await t.rejects(service.sessions.start({ userId: 1, deviceId: 'a\u202eb' }), { message: /deviceId must be/ })
  const refused = await service.inject({ method: 'POST', url: '/sign-in', payload: { userId: 'a b' } })
  t.equal(refused.statusCode, 400)
  t.equal(refused.json<{ code: string }>().code, 'AUTH_1400', 'in a route: a 400 whose code says "1400"')
  await t.rejects(service.sessions.end('a b', 'x'.repeat(22)), { message: /userId must be/ })
  t.equal(await service.sessions.end(1, 'not a session id'), false, 'an id no session can have names none')
  await t.rejects(service.sessions.start({ userId: 1 }, { generation: 'not-the-generation' }), GenerationMovedError, 'a generation that moved')

  const privateKey = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
  const publicKey = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString()
  const verifier = await serviceWithOwnLogin(t, { ...pluginOptionsOf(config), jwtSecret: undefined, accessTokenAlg: 'EdDSA', jwtKeys: JSON.stringify([{ kid: 'k', publicKey }]) })
  await t.rejects(verifier.sessions.start({ userId: 1 }), SessionLifecycleUnavailableError)
  await t.rejects(verifier.sessions.start({ userId: 1 }), { message: /public keys only/ }, 'public keys only: it says so')
  t.equal(await verifier.sessions.endAll(1), 0, 'it may still end sessions')
})

t.test('REFRESH_STORE=postgres without the database: starting and ending say what is missing; checking works', async (t) => {
  const { app, config } = await buildTestApp(t, { env: { AUTH_STRATEGY: 'refresh', REFRESH_STORE: 'postgres' } })
  const service = await serviceWithOwnLogin(t, pluginOptionsOf(config))
  await t.rejects(service.sessions.start({ userId: 1 }), { message: /REFRESH_STORE=postgres: .*databaseUrl \(DATABASE_URL\)/ })
  await t.rejects(service.sessions.endAll(1), { message: /databaseUrl/ })
  const user = await createAndLogIn(app)
  t.equal((await service.inject({ method: 'GET', url: '/whoami', headers: { token: user.token } })).statusCode, 200)
  const noSecret = await serviceWithOwnLogin(t, { ...pluginOptionsOf(config, { refreshStore: 'redis' }) })
  t.equal(noSecret.sessionCheck.settings.refreshTokenSecret, TEST_JWT_SECRET, 'the refresh secret defaults to JWT_SECRET, as on the server')
  const other = await createUser(app)
  t.equal((await noSecret.sessions.start({ userId: other.userId })).userId, other.userId)
})

t.test("a service's sessions are told to the auth server's EVENTS_STREAM, signed so its webhook delivers them", async (t) => {
  const secret = 'a-webhook-secret-of-at-least-32-characters'
  const { app, config } = await buildTestApp(t, { env: { EVENTS_STREAM: 'auth-events', EVENTS_WEBHOOK_SECRET: secret } })
  const service = await serviceWithOwnLogin(t, pluginOptionsOf(config, { eventsStream: 'auth-events', eventsWebhookSecret: secret }))
  const started = await service.inject({ method: 'POST', url: '/sign-in', payload: { userId: 515, deviceId: 'tablet' } })
  const { sessionId } = started.json<{ sessionId: string }>()
  await service.sessions.end(515, sessionId, { reason: 'logout', actor: 'service:phone-login' })
  await service.close()

  const entries = await app.redis.xrange(config.REDIS_KEY_PREFIX + 'auth-events', '-', '+')
  const events = entries.map(([, fields]) => eventOfEntry(fields))
  t.match(events, [
    { type: 'session.created', userId: 515, sessionId, deviceId: 'tablet', authMethod: 'phone_code', ip: '127.0.0.1' },
    { type: 'session.ended', userId: 515, sessionId, reason: 'logout', actor: 'service:phone-login' }
  ], 'both, in order, written before the service closed')
  const signingKey = eventSigningKey(secret)
  for (const [, fields] of entries) {
    t.ok(verifyEventSignature(signingKey, entryField(fields, 'event') ?? '', entryField(fields, 'signature') ?? ''), 'signed with the webhook secret\'s key')
  }
})

t.test('start follows SESSION_DEVICE_RULES: a phone replaces the phone, a second tv is refused 409 "1013", request.user has the type', async (t) => {
  const rules = JSON.stringify({ phone: { maxSessions: 1 }, tv: { maxSessions: 1, onOverflow: 'refuse_new' } })
  const { app, config } = await buildTestApp(t, { env: { SESSION_DEVICE_RULES: rules } })
  const service = await serviceWithOwnLogin(t, pluginOptionsOf(config, { sessionDeviceRules: rules }))
  const userId = 'user_with_devices'
  const firstPhone = await service.sessions.start({ userId, deviceType: 'phone' })
  const secondPhone = await service.sessions.start({ userId, deviceType: 'phone' })
  t.match((await me(app, firstPhone.token)).json(), { errorCode: '1002', reason: 'replaced' }, 'the first phone is replaced')
  const whoHere = await service.inject({ method: 'GET', url: '/whoami', headers: { token: secondPhone.token } })
  t.match(whoHere.json(), { userId, deviceType: 'phone' }, 'request.user.deviceType')

  await service.sessions.start({ userId, deviceType: 'tv' })
  const refused = await service.sessions.start({ userId, deviceType: 'tv' }).then(() => undefined, (error: unknown) => error)
  t.match(refused, { code: 'AUTH_1013', statusCode: 409 }, 'a second tv: the 409 "1013" error')
  t.equal((await service.sessions.list(userId)).length, 2, 'the phone and the first tv, nothing more')

  const invalid = await service.sessions.start({ userId, deviceType: 'TV' }).then(() => undefined, (error: unknown) => error)
  t.match(invalid, { code: 'AUTH_1400', message: /deviceType/ }, 'a deviceType out of its pattern is refused')
})

t.test('start with rememberMe: false sets browser-session cookies and SESSION_TTL_NOT_REMEMBERED', async (t) => {
  const { app, config } = await buildTestApp(t, { env: { SESSION_TTL_NOT_REMEMBERED: '900' } })
  const service = await serviceWithOwnLogin(t, pluginOptionsOf(config, { sessionTtlNotRemembered: 900 }))
  const started = await service.inject({ method: 'POST', url: '/sign-in', payload: { userId: 77, rememberMe: false } })
  t.equal(started.statusCode, 200, started.body)
  t.ok(started.cookies.length > 0 && started.cookies.every((cookie) => cookie.maxAge === undefined && cookie.expires === undefined), 'no Max-Age, no Expires')
  const { sessionId } = started.json<{ sessionId: string }>()
  const ttl = await app.redis.pttl(`${config.REDIS_KEY_PREFIX}ACCESS_TOKEN:{77}:${sessionId}`)
  t.ok(ttl > 890_000 && ttl <= 900_000, `idle TTL 900 s (${ttl} ms)`)
})
