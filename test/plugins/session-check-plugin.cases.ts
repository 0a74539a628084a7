import Fastify, { type FastifyInstance } from 'fastify'
import { createHmac, createPublicKey, generateKeyPairSync } from 'node:crypto'
import fastifyCookie from '@fastify/cookie'
import t, { type Test } from 'tap'
import sessionCheck, { type SessionCheckOptions } from '../../session-check/index.js'
import { sessionCheckSettings } from '../../src/config/session-check-settings.js'
import { buildTestApp, TEST_JWT_SECRET } from '../helpers/build-app.js'
import { RedisServer } from '../helpers/redis-server.js'
import { createAndLogIn, createUser, logIn } from '../helpers/sessions.js'
import { TestClock } from '../helpers/test-clock.js'

const ACCESS_TOKEN_TTL_SECONDS = 1
const MS_PER_SECOND = 1000

// Another Fastify service of the app, as its authors would write it: its own error handler,
// its own cookie plugin, the check from the package.
async function otherService (t: Test, options: SessionCheckOptions): Promise<FastifyInstance> {
  const service = Fastify()
  t.teardown(async () => await service.close())
  await service.register(fastifyCookie)
  service.setErrorHandler(async (_error, _request, reply) => await reply.code(500).send({ oops: true }))
  await service.register(sessionCheck, options)
  service.get('/orders', { preHandler: service.authenticate }, async (request) => ({ userId: request.user.userId }))
  service.post('/orders', { preHandler: service.authenticate }, async (request) => ({ userId: request.user.userId }))
  service.get('/admin/stats', { preHandler: [service.authenticate, service.requireAdmin] }, async () => ({ ok: true }))
  await service.ready()
  return service
}

t.test('the plugin in another Fastify service', async (t) => {
  const redisServer = await RedisServer.start()
  t.teardown(async () => await redisServer.destroy())

  t.test('settings come from options and the environment by the server\'s names, validated', async (t) => {
    await t.rejects(otherService(t, { redisUrl: redisServer.url, env: {} }), /jwtSecret \(JWT_SECRET\) or jwtKeys \(JWT_KEYS\) is required/, 'no secret: no guess')
    await t.rejects(otherService(t, { redisUrl: redisServer.url, jwtSecret: TEST_JWT_SECRET, env: { SESSION_TTL: 'soon' } }),
      /SESSION_TTL must be integer/, 'a bad value names the variable')
    await t.rejects(otherService(t, { redisUrl: 'http://nowhere', jwtSecret: TEST_JWT_SECRET, env: {} }), /REDIS_URL/, 'an option is checked like its variable')
    const service = await otherService(t, { env: { REDIS_URL: redisServer.url, JWT_SECRET: TEST_JWT_SECRET, SESSION_TTL: '60', NEAR_CACHE: 'off' } })
    t.equal(service.sessionCheck.settings.SESSION_TTL, 60, 'read from the environment')
    t.equal(service.sessionCheck.nearCache, null, 'NEAR_CACHE=off from the environment')
    t.equal(service.sessionCheck.settings.COOKIE_SECURE, false)
  })

  t.test('a Redis that does not answer fails the start', async (t) => {
    const stopped = await RedisServer.start()
    await stopped.destroy()
    await t.rejects(otherService(t, { redisUrl: stopped.url, jwtSecret: TEST_JWT_SECRET, env: {} }))
  })

  t.test('answers in the server\'s error shape whatever the service\'s error handler; requireAdmin', async (t) => {
    const { app } = await buildTestApp(t, { redisServer })
    const service = await otherService(t, { redisUrl: redisServer.url, jwtSecret: TEST_JWT_SECRET, env: {} })
    const missing = await service.inject({ method: 'GET', url: '/orders' })
    t.equal(missing.statusCode, 401)
    t.same(missing.json(), { code: 0, errorCode: '1001', info: 'Invalid or missing token' })

    const user = await createAndLogIn(app)
    const ok = await service.inject({ method: 'GET', url: '/orders', headers: { token: user.token } })
    t.same(ok.json(), { userId: user.userId })
    const notAdmin = await service.inject({ method: 'GET', url: '/admin/stats', headers: { token: user.token } })
    t.equal(notAdmin.statusCode, 403)
    t.equal(notAdmin.json<{ errorCode: string }>().errorCode, '1403')
    const admin = await createAndLogIn(app, 'admin')
    t.equal((await service.inject({ method: 'GET', url: '/admin/stats', headers: { token: admin.token } })).statusCode, 200)

    // A cookie-authenticated unsafe request needs the CSRF proof here too.
    const forged = await service.inject({ method: 'POST', url: '/orders', cookies: { accessToken: user.token }, headers: { origin: 'https://evil.example' } })
    t.equal(forged.statusCode, 403)
    t.equal(forged.json<{ errorCode: string }>().errorCode, '1403')
    const csrf = user.response.cookies.find((cookie) => cookie.name === 'csrfToken')?.value ?? ''
    const proven = await service.inject({
      method: 'POST', url: '/orders', cookies: { accessToken: user.token, csrfToken: csrf }, headers: { 'x-csrf-token': csrf }
    })
    t.equal(proven.statusCode, 200, 'with the double-submit token')
    await app.inject({ method: 'POST', url: '/auth/logout', headers: { token: user.token } })
    await service.sessionCheck.nearCache?.sync()
    const ended = await service.inject({ method: 'GET', url: '/orders', headers: { token: user.token } })
    t.same(ended.json(), { code: 0, errorCode: '1002', info: 'Session has ended (logout)', reason: 'logout' })
  })

  t.test('refresh strategy: an expired access token answers 1003 (refresh and retry)', async (t) => {
    const refreshEnv = { AUTH_STRATEGY: 'refresh', ACCESS_TOKEN_TTL: String(ACCESS_TOKEN_TTL_SECONDS) }
    // The auth server and the service go by one clock, as two machines synchronised by NTP do.
    const clock = new TestClock()
    const { app } = await buildTestApp(t, { redisServer, env: refreshEnv, clock: clock.now })
    const service = await otherService(t, { redisUrl: redisServer.url, jwtSecret: TEST_JWT_SECRET, env: refreshEnv, clock: clock.now })
    const user = await logIn(app, await createUser(app))
    t.equal((await service.inject({ method: 'GET', url: '/orders', headers: { token: user.token } })).statusCode, 200)
    const exp = JSON.parse(Buffer.from(user.token.split('.')[1] ?? '', 'base64url').toString()).exp as number
    clock.advanceTo(exp * MS_PER_SECOND)
    const atExp = await service.inject({ method: 'GET', url: '/orders', headers: { token: user.token } })
    t.equal(atExp.statusCode, 200, 'valid to the last millisecond of its exp second')
    clock.advance(1)
    const expired = await service.inject({ method: 'GET', url: '/orders', headers: { token: user.token } })
    t.equal(expired.statusCode, 401)
    t.equal(expired.json<{ errorCode: string }>().errorCode, '1003')
  })

  t.test('EdDSA: a service given the public keys only checks tokens and sessions, and signs nothing', async (t) => {
    const privateKeyPem = (): string => generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
    const oldKey = { kid: 'old', privateKey: privateKeyPem() }
    const newKey = { kid: 'new', privateKey: privateKeyPem() }
    const publicOf = ({ kid, privateKey }: { kid: string, privateKey: string }): { kid: string, publicKey: string } =>
      ({ kid, publicKey: createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString() })
    const { app: before } = await buildTestApp(t, { redisServer, env: { ACCESS_TOKEN_ALG: 'EdDSA', JWT_KEYS: JSON.stringify([oldKey]) } })
    const { app: rotated } = await buildTestApp(t, { redisServer, env: { ACCESS_TOKEN_ALG: 'EdDSA', JWT_KEYS: JSON.stringify([newKey, oldKey]) } })
    const publicKeys = JSON.stringify([publicOf(newKey), publicOf(oldKey)])
    const service = await otherService(t, { redisUrl: redisServer.url, accessTokenAlg: 'EdDSA', jwtKeys: publicKeys, env: {} })
    t.notOk(service.sessionCheck.tokens.canSign, 'it holds no private key')

    const oldToken = (await createAndLogIn(before)).token
    const newToken = (await createAndLogIn(rotated)).token
    for (const [what, token] of [['the signing key', newToken], ['an older key', oldToken]]) {
      const answer = await service.inject({ method: 'GET', url: '/orders', headers: { token } })
      t.equal(answer.statusCode, 200, `a token of ${what}: accepted`)
      t.notOk(answer.headers['x-renewed-token'], `${what}: nothing renewed here`)
    }
    t.ok((await rotated.inject({ url: '/auth/me', headers: { token: oldToken } })).headers['x-renewed-token'],
      'the auth server, holding the private key, renews the old-key token')

    // The sliding strategy's tokens have no exp: the session in Redis is what ends them.
    await before.inject({ method: 'POST', url: '/auth/logout', headers: { token: oldToken } })
    await service.sessionCheck.nearCache?.sync()
    t.match((await service.inject({ method: 'GET', url: '/orders', headers: { token: oldToken } })).json(), { errorCode: '1002', reason: 'logout' },
      'a logout is seen at once')
    const { app: hs256Server } = await buildTestApp(t, { redisServer })
    const hs256Token = (await createAndLogIn(hs256Server)).token
    t.equal((await service.inject({ method: 'GET', url: '/orders', headers: { token: hs256Token } })).statusCode, 401, 'an HS256 token is refused')

    await t.rejects(otherService(t, { redisUrl: redisServer.url, accessTokenAlg: 'EdDSA', jwtKeys: publicKeys, sessionRotateAfter: 60, env: {} }),
      /SESSION_ROTATE_AFTER reissues tokens, which needs the signing key's "privateKey"/, 'no reissue without the private key')
    await t.rejects(otherService(t, { redisUrl: redisServer.url, jwtKeys: publicKeys, env: {} }),
      /ACCESS_TOKEN_ALG=HS256 does not use/, 'public keys under HS256: refused')
  })

  t.test('the published public key configured as the HMAC secret is refused at start, whichever way it is given', async (t) => {
    const privateKey = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
    const { app: edServer } = await buildTestApp(t, { redisServer, env: { ACCESS_TOKEN_ALG: 'EdDSA', JWT_KEYS: JSON.stringify([{ kid: 'ed', privateKey }]) } })
    // What anyone may read: the public key, as the PEM a host app would paste.
    const publicPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString()
    const valid = sessionCheckSettings({ redisUrl: redisServer.url, jwtSecret: TEST_JWT_SECRET }, {})
    const ways: Array<[string, SessionCheckOptions]> = [
      ['the jwtSecret option', { redisUrl: redisServer.url, jwtSecret: publicPem, env: {} }],
      ['a JWT_KEYS secret', { redisUrl: redisServer.url, jwtKeys: JSON.stringify([{ kid: 'ed', secret: publicPem }]), env: {} }],
      ['the JWT_SECRET variable', { redisUrl: redisServer.url, env: { JWT_SECRET: publicPem } }],
      ['the settings option', { settings: { ...valid, jwtKeys: [{ secret: publicPem }] } }],
      ['the settings option, with a kid', { settings: { ...valid, jwtKeys: [{ kid: 'ed', secret: publicPem }] } }]
    ]
    for (const [way, options] of ways) {
      await t.rejects(otherService(t, options), /holds key material \(a PEM block\), not a secret/, `${way}: refused`)
    }

    // A service that verifies EdDSA tokens with the public key refuses one "signed" with it as an HMAC secret.
    const real = (await createAndLogIn(edServer)).token
    const [header = '', payload = ''] = real.split('.')
    const forgedHeader = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(header, 'base64url').toString()) as object, alg: 'HS256' })).toString('base64url')
    const forged = `${forgedHeader}.${payload}.${createHmac('sha256', publicPem).update(`${forgedHeader}.${payload}`).digest('base64url')}`
    const verifier = await otherService(t, { redisUrl: redisServer.url, accessTokenAlg: 'EdDSA', jwtKeys: JSON.stringify([{ kid: 'ed', publicKey: publicPem }]), env: {} })
    t.equal((await verifier.inject({ method: 'GET', url: '/orders', headers: { token: real } })).statusCode, 200, 'the real token is accepted')
    t.match((await verifier.inject({ method: 'GET', url: '/orders', headers: { token: forged } })).json(), { errorCode: '1001' }, 'the forged one: 1001')
    t.match((await edServer.inject({ url: '/auth/me', headers: { token: forged } })).json(), { errorCode: '1001' }, 'and by the auth server: 1001')
  })

  t.test('the settings option is checked as the options are', async (t) => {
    const valid = sessionCheckSettings({ redisUrl: redisServer.url, jwtSecret: TEST_JWT_SECRET, sessionTtl: 90 }, {})
    await t.rejects(otherService(t, { settings: { ...valid, SESSION_TTL: -5 } }), /SESSION_TTL must be >= 1/, 'a bad value names the setting')
    await t.rejects(otherService(t, { settings: { ...valid, jwtKeys: [{ secret: 'short' }] } }), /JWT_SECRET must NOT have fewer than 32 characters/, 'a short secret')
    const service = await otherService(t, { settings: valid })
    t.equal(service.sessionCheck.settings.SESSION_TTL, 90, 'valid settings are kept')
    const { app } = await buildTestApp(t, { redisServer })
    const { token } = await createAndLogIn(app)
    t.equal((await service.inject({ method: 'GET', url: '/orders', headers: { token } })).statusCode, 200, 'and the check works with them')
  })

  t.test('a Redis outage answers 503 "1503", and heals without a restart', async (t) => {
    const own = await RedisServer.start({ persistent: true })
    t.teardown(async () => await own.destroy())
    const { app } = await buildTestApp(t, { redisServer: own })
    const service = await otherService(t, { redisUrl: own.url, jwtSecret: TEST_JWT_SECRET, nearCache: 'off', env: {} })
    const user = await createAndLogIn(app)
    await own.stop()
    const down = await service.inject({ method: 'GET', url: '/orders', headers: { token: user.token } })
    t.equal(down.statusCode, 503)
    t.equal(down.json<{ errorCode: string }>().errorCode, '1503', 'never 1002')
    await own.restart()
    let healed = down
    const deadline = Date.now() + 10 * MS_PER_SECOND
    while (healed.statusCode !== 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50))
      healed = await service.inject({ method: 'GET', url: '/orders', headers: { token: user.token } })
    }
    t.equal(healed.statusCode, 200, 'the session survived (persistent Redis) and the service reconnected')
  })
})
