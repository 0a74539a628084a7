import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import t from 'tap'
import { buildTestApp } from './helpers/build-app.js'
import { LogCollector } from './helpers/log-collector.js'
import { createUser, TEST_PASSWORD, uniqueAccount } from './helpers/sessions.js'
import { startWebhookReceiver } from './helpers/webhook-receiver.js'
import { deliveredMessages, NEW_PASSWORD as RESET_PASSWORD, reset, resetTokenFor, webhookDeliveryEnv } from './recovery/recovery-requests.js'

const WRONG_PASSWORD = 'wrong horse battery staple'
const NEW_PASSWORD = 'a brand new passphrase for the log test'
const TRUSTED_ORIGIN = 'https://app.example'
const OTHER_ORIGIN = 'https://other.example'

interface IssuedSession {
  token: string
  sessionId: string
}

function cookieValue (res: LightMyRequestResponse, name: string): string {
  const cookie = res.cookies.find((c) => c.name === name)
  if (cookie === undefined) throw new Error(`no ${name} cookie in the answer`)
  return cookie.value
}

async function preflight (app: FastifyInstance, origin: string): Promise<LightMyRequestResponse> {
  return await app.inject({
    method: 'OPTIONS',
    url: '/auth/login',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type,token,x-csrf-token'
    }
  })
}

t.test('with the default configuration and a log stream', async (t) => {
  const logs = new LogCollector()
  const { app } = await buildTestApp(t, { logStream: logs })

  t.test('secrets never reach the log', async (t) => {
    const account = uniqueAccount()
    const registered = await app.inject({ method: 'POST', url: '/auth/register', payload: { account, password: TEST_PASSWORD } })
    t.equal(registered.statusCode, 201, registered.body)

    const login = await app.inject({ method: 'POST', url: '/auth/login', payload: { account, password: TEST_PASSWORD } })
    t.equal(login.statusCode, 200, login.body)
    const { token } = login.json<IssuedSession>()
    const csrf = cookieValue(login, 'csrfToken')

    const byHeader = await app.inject({ method: 'GET', url: '/auth/me', headers: { token } })
    t.equal(byHeader.statusCode, 200, `token header: ${byHeader.body}`)
    const byBearer = await app.inject({ method: 'GET', url: '/auth/me', headers: { authorization: `Bearer ${token}` } })
    t.equal(byBearer.statusCode, 200, `Bearer: ${byBearer.body}`)
    const byCookie = await app.inject({ method: 'GET', url: '/auth/me', cookies: { accessToken: token, csrfToken: csrf } })
    t.equal(byCookie.statusCode, 200, `cookie: ${byCookie.body}`)
    const forged = await app.inject({ method: 'GET', url: '/auth/me', headers: { authorization: `Bearer ${token}x` } })
    t.equal(forged.statusCode, 401, 'a refused token')

    const failed = await app.inject({ method: 'POST', url: '/auth/login', payload: { account, password: WRONG_PASSWORD } })
    t.equal(failed.statusCode, 401, failed.body)

    const changed = await app.inject({
      method: 'POST', url: '/auth/password', headers: { token }, payload: { oldPassword: TEST_PASSWORD, newPassword: NEW_PASSWORD }
    })
    t.equal(changed.statusCode, 200, `password change: ${changed.body}`)
    const newToken = changed.json<IssuedSession>().token
    const newCsrf = cookieValue(changed, 'csrfToken')

    const logout = await app.inject({
      method: 'POST', url: '/auth/logout', headers: { 'x-csrf-token': newCsrf }, cookies: { accessToken: newToken, csrfToken: newCsrf }
    })
    t.equal(logout.statusCode, 200, `logout by cookie with the CSRF header: ${logout.body}`)

    const text = logs.text
    const lines = text.split('\n').filter((line) => line.length > 0)
    t.ok(lines.length >= 2 * 9, `a request log line each way for every request (${lines.length} lines)`)
    t.match(text, /incoming request/, 'incoming requests are logged')
    t.match(text, /request completed/, 'completed requests are logged')
    t.match(text, /"url":"\/auth\/login"/, 'the login request is logged')
    t.match(text, /"url":"\/auth\/logout"/, 'the logout request is logged')
    t.match(text, /"statusCode":401/, 'the failed login is logged')

    const secrets: Array<[string, string]> = [
      ['the password', TEST_PASSWORD],
      ['the wrong password', WRONG_PASSWORD],
      ['the new password', NEW_PASSWORD],
      ['the token', token],
      ["the token's signature", token.split('.')[2] ?? token],
      ['the second token', newToken],
      ['the csrf token', csrf],
      ['the second csrf token', newCsrf],
      ['a Bearer header', 'Bearer']
    ]
    for (const [what, secret] of secrets) {
      t.notOk(text.includes(secret), `${what} is not in the log`)
    }
  })

  t.test('helmet headers, and no CORS unless configured', async (t) => {
    const res = await app.inject({ method: 'GET', url: '/health', headers: { origin: TRUSTED_ORIGIN } })
    t.equal(res.statusCode, 200)
    t.equal(res.headers['x-content-type-options'], 'nosniff')
    t.match(String(res.headers['strict-transport-security']), /max-age=\d+/, 'strict-transport-security')
    t.equal(res.headers['x-frame-options'], 'SAMEORIGIN')
    t.match(String(res.headers['content-security-policy']), /script-src 'self'/, 'content-security-policy')
    t.notMatch(String(res.headers['content-security-policy']), /upgrade-insecure-requests/,
      'a plain-HTTP server does not send its own assets to https')
    t.equal(res.headers['access-control-allow-origin'], undefined, 'no allow-origin for a cross-origin GET')

    const pre = await preflight(app, TRUSTED_ORIGIN)
    t.equal(pre.headers['access-control-allow-origin'], undefined, 'no allow-origin for a preflight')
    t.equal(pre.headers['access-control-allow-credentials'], undefined, 'no allow-credentials for a preflight')
  })

  t.test('the API documentation', async (t) => {
    let docs = await app.inject({ method: 'GET', url: '/docs' })
    const location = docs.headers.location
    if (docs.statusCode >= 300 && docs.statusCode < 400 && typeof location === 'string') {
      docs = await app.inject({ method: 'GET', url: new URL(location, 'http://localhost/docs').pathname })
    }
    t.equal(docs.statusCode, 200, 'GET /docs')
    t.match(String(docs.headers['content-type']), /^text\/html/, 'an HTML page')
    t.match(docs.body, /<html/i)

    const json = await app.inject({ method: 'GET', url: '/docs/json' })
    t.equal(json.statusCode, 200, 'GET /docs/json')
    const document = json.json<{ openapi: string, paths: Record<string, unknown> }>()
    t.match(document.openapi, /^3\./, 'an OpenAPI 3 document')
    t.ok('/auth/login' in document.paths, 'it lists /auth/login')
    t.ok('/auth/me' in document.paths, 'it lists /auth/me')
  })

  t.test('health and readiness', async (t) => {
    const health = await app.inject({ method: 'GET', url: '/health' })
    t.equal(health.statusCode, 200)
    t.strictSame(health.json(), { status: 'ok' })
    const ready = await app.inject({ method: 'GET', url: '/ready' })
    t.equal(ready.statusCode, 200, ready.body)
    t.strictSame(ready.json(), { status: 'ready' })
  })
})

t.test('with CORS_ORIGINS', async (t) => {
  const { app } = await buildTestApp(t, { env: { CORS_ORIGINS: TRUSTED_ORIGIN } })

  const allowed = await preflight(app, TRUSTED_ORIGIN)
  t.ok(allowed.statusCode >= 200 && allowed.statusCode < 300, `the preflight succeeds (${allowed.statusCode})`)
  t.equal(allowed.headers['access-control-allow-origin'], TRUSTED_ORIGIN, 'allow-origin echoes the listed origin')
  t.equal(allowed.headers['access-control-allow-credentials'], 'true', 'credentials allowed')
  const allowedHeaders = String(allowed.headers['access-control-allow-headers']).toLowerCase().split(/\s*,\s*/)
  t.ok(allowedHeaders.includes('token'), `allow-headers includes token (${allowedHeaders.join(',')})`)
  t.ok(allowedHeaders.includes('x-csrf-token'), 'allow-headers includes x-csrf-token')
  t.ok(allowedHeaders.includes('authorization'), 'allow-headers includes authorization')

  const refused = await preflight(app, OTHER_ORIGIN)
  t.equal(refused.headers['access-control-allow-origin'], undefined, 'no allow-origin for an unlisted origin')

  const simple = await app.inject({ method: 'GET', url: '/health', headers: { origin: TRUSTED_ORIGIN } })
  t.equal(simple.headers['access-control-allow-origin'], TRUSTED_ORIGIN, 'a simple request from the listed origin is allowed')
  const foreign = await app.inject({ method: 'GET', url: '/health', headers: { origin: OTHER_ORIGIN } })
  t.equal(foreign.headers['access-control-allow-origin'], undefined, 'a simple request from another origin is not')
})

t.test('behind HTTPS (COOKIE_SECURE=true) browsers are told to upgrade insecure requests', async (t) => {
  const { app } = await buildTestApp(t, { env: { COOKIE_SECURE: 'true' } })
  const res = await app.inject({ method: 'GET', url: '/health' })
  t.match(String(res.headers['content-security-policy']), /upgrade-insecure-requests/)
})

t.test('refresh tokens and reissued tokens never reach the log, even at debug level', async (t) => {
  const logs = new LogCollector()
  const { app } = await buildTestApp(t, { logStream: logs, env: { AUTH_STRATEGY: 'refresh', LOG_LEVEL: 'debug', REFRESH_REUSE_GRACE: '0' } })
  const account = uniqueAccount()
  t.equal((await app.inject({ method: 'POST', url: '/auth/register', payload: { account, password: TEST_PASSWORD } })).statusCode, 201)
  const login = await app.inject({ method: 'POST', url: '/auth/login', payload: { account, password: TEST_PASSWORD } })
  const { refreshToken } = login.json<{ refreshToken: string }>()
  const csrf = cookieValue(login, 'csrfToken')

  const byBody = await app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken } })
  t.equal(byBody.statusCode, 200, byBody.body)
  const next = byBody.json<{ refreshToken: string }>().refreshToken
  const byCookie = await app.inject({
    method: 'POST', url: '/auth/refresh', headers: { 'x-csrf-token': csrf }, cookies: { refreshToken: next, csrfToken: csrf }
  })
  t.equal(byCookie.statusCode, 200, byCookie.body)
  const reused = await app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken } })
  t.equal(reused.json().errorCode, '1004', 'a reused token is refused')

  t.match(logs.text, /"url":"\/auth\/refresh"/, 'the refresh requests are logged')
  for (const [what, secret] of [['the first refresh token', refreshToken], ['the second refresh token', next]] as const) {
    t.notOk(logs.text.includes(secret.split('.')[2] ?? secret), `${what} is not in the log`)
  }
})

t.test('with CORS_ORIGINS, scripts of those origins can read x-renewed-token', async (t) => {
  const { app } = await buildTestApp(t, { env: { CORS_ORIGINS: TRUSTED_ORIGIN } })
  const res = await app.inject({ method: 'GET', url: '/health', headers: { origin: TRUSTED_ORIGIN } })
  t.match(String(res.headers['access-control-expose-headers']).toLowerCase(), /\bx-renewed-token\b/)
})

t.test('a password reset: its token, link and new password never reach the log when a delivery is configured', async (t) => {
  const receiver = await startWebhookReceiver(t)
  const logs = new LogCollector()
  const { app } = await buildTestApp(t, { env: webhookDeliveryEnv(receiver, { AUDIT_LOG: 'on' }), logStream: logs })
  const user = await createUser(app)
  const token = await resetTokenFor(app, receiver, user.account)
  const link = deliveredMessages(receiver)[0]?.message.link ?? ''
  t.equal((await reset(app, `${token}x`)).statusCode, 400, 'a wrong token')
  t.equal((await reset(app, token)).statusCode, 200, 'the right one')
  await app.recoveryDelivery.settled()
  const { text } = logs
  t.match(text, /"url":"\/auth\/password\/reset"/, 'the reset request is logged')
  t.match(text, /password\.reset/, 'its audit event is logged')
  for (const [what, secret] of [['the token', token], ['the link', link], ['the new password', RESET_PASSWORD]] as const) {
    t.ok(secret.length > 0)
    t.notOk(text.includes(secret), `${what} is not in the log`)
  }
})
