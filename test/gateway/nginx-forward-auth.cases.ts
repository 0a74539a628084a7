import t, { type Test } from 'tap'
import { request } from 'undici'
import type { BuildOptions } from '../helpers/build-app.js'
import { freePort } from '../helpers/free-port.js'
import { RedisServer } from '../helpers/redis-server.js'
import { sessionKeys } from '../../src/sessions/session-keys.js'
import { createAndLogIn } from '../helpers/sessions.js'
import { TestClock } from '../helpers/test-clock.js'
import { startEchoUpstream } from './echo-upstream.js'
import {
  assertReached, assertRefused, assertStoppedAtGateway, cookieOf, FORGED_IDENTITY, send, setCookies,
  startGateway as startGatewayWith, UNDERSCORE_IDENTITY, type ErrorBody, type Gateway
} from './gateway-client.js'
import { NO_NGINX, startNginx } from './nginx-process.js'

const ROTATE_AFTER_SECONDS = 1
const MS_PER_SECOND = 1000

async function startGateway (t: Test, options: BuildOptions = {}): Promise<Gateway> {
  return await startGatewayWith(t, startNginx, options)
}

t.test('nginx with the configuration of docs/gateways.md', { skip: NO_NGINX }, async (t) => {
  const gateway = await startGateway(t)

  t.test('a live session reaches the service with its identity; a forged identity does not', async (t) => {
    const session = await createAndLogIn(gateway.app)
    assertReached(t, await send(gateway, 'GET', '/orders?page=2', { token: session.token }), session, 'GET', '/orders?page=2')
    assertReached(t, await send(gateway, 'POST', '/orders', { authorization: `Bearer ${session.token}` }), session, 'POST', '/orders')
    const forged = await send(gateway, 'GET', '/orders', { token: session.token, ...FORGED_IDENTITY })
    assertReached(t, forged, session, 'GET', '/orders')
    // nginx drops header names with underscores (underscores_in_headers is off by default).
    assertReached(t, await send(gateway, 'GET', '/orders', { token: session.token, ...UNDERSCORE_IDENTITY }), session, 'GET', '/orders')
    t.equal(forged.headers['x-renewed-token'], undefined, 'no reissue without SESSION_ROTATE_AFTER')

    const anonymous = await assertStoppedAtGateway(t, gateway, async () =>
      await send(gateway, 'GET', '/orders', { 'x-user-id': String(session.userId), 'x-user-type': 'admin' }))
    assertRefused(t, anonymous, 401, '1001')
  })

  t.test('no token or a bad one: 401 "1001" with the JSON body', async (t) => {
    assertRefused(t, await assertStoppedAtGateway(t, gateway, async () => await send(gateway, 'GET', '/orders')), 401, '1001')
    assertRefused(t, await assertStoppedAtGateway(t, gateway, async () =>
      await send(gateway, 'DELETE', '/orders/7', { token: 'not-a-token' })), 401, '1001')
  })

  t.test('after a logout the token gets 401 "1002" (logout) at the gateway, and the service is not called', async (t) => {
    const session = await createAndLogIn(gateway.app)
    assertReached(t, await send(gateway, 'GET', '/orders', { token: session.token }), session, 'GET', '/orders')
    const logout = await gateway.app.inject({ method: 'POST', url: '/auth/logout', headers: { token: session.token } })
    t.equal(logout.statusCode, 200)
    for (const method of ['GET', 'POST']) {
      const answer = await assertStoppedAtGateway(t, gateway, async () => await send(gateway, method, '/orders', { token: session.token }))
      const body = assertRefused(t, answer, 401, '1002', 'logout')
      t.equal(body.info, 'Session has ended (logout)', `${method}: the auth server's own body`)
    }
  })

  t.test('a cookie: safe methods pass, unsafe ones need the CSRF proof', async (t) => {
    const session = await createAndLogIn(gateway.app)
    const csrf = cookieOf(session, 'csrfToken')
    const cookie = `accessToken=${session.token}; csrfToken=${csrf}`
    assertReached(t, await send(gateway, 'GET', '/orders', { cookie }), session, 'GET', '/orders')

    // A client-sent X-Forwarded-Method would be read before nginx's X-Original-Method: nginx clears it.
    const withoutProof: Array<Record<string, string>> = [{}, { origin: 'https://evil.example' }, { 'x-csrf-token': 'guessed' }, { 'x-forwarded-method': 'GET' }]
    for (const headers of withoutProof) {
      const answer = await assertStoppedAtGateway(t, gateway, async () => await send(gateway, 'POST', '/orders', { cookie, ...headers }))
      assertRefused(t, answer, 403, '1403')
    }
    assertReached(t, await send(gateway, 'POST', '/orders', { cookie, 'x-csrf-token': csrf }), session, 'POST', '/orders')
    // The gateway's own origin, as the server sees it through X-Forwarded-Proto and -Host.
    assertReached(t, await send(gateway, 'DELETE', '/orders/7', { cookie, origin: gateway.origin }), session, 'DELETE', '/orders/7')
  })
})

// The two request headers of docs/gateways.md#polls-and-sensitive-routes reach the check through
// this configuration (nginx passes the request's headers to the verify subrequest), and a 1005
// reaches the client with its JSON body, maxAge included, as the refusals above do.
t.test('nginx: X-Require-Auth-Within and X-Session-Slide reach the check', { skip: NO_NGINX }, async (t) => {
  const clock = new TestClock()
  const gateway = await startGateway(t, { env: { SESSION_TTL: '600' }, clock: clock.now })
  const session = await createAndLogIn(gateway.app)
  assertReached(t, await send(gateway, 'GET', '/orders', { token: session.token, 'x-require-auth-within': '300' }), session, 'GET', '/orders')
  clock.advance(300 * MS_PER_SECOND + 1)
  const stale = await assertStoppedAtGateway(t, gateway, async () =>
    await send(gateway, 'GET', '/orders', { token: session.token, 'x-require-auth-within': '300' }))
  t.equal((assertRefused(t, stale, 403, '1005') as ErrorBody & { maxAge?: number }).maxAge, 300, 'with maxAge')

  const key = sessionKeys(gateway.app.config.REDIS_KEY_PREFIX).session(session.userId, session.sessionId)
  await gateway.app.redis.pexpire(key, 300_000)
  clock.advance(120_000)
  assertReached(t, await send(gateway, 'GET', '/orders', { token: session.token, 'x-session-slide': 'off' }), session, 'GET', '/orders')
  t.ok(await gateway.app.redis.pttl(key) <= 300_000, 'X-Session-Slide: off: the TTL did not move')
  assertReached(t, await send(gateway, 'GET', '/orders', { token: session.token }), session, 'GET', '/orders')
  t.ok(await gateway.app.redis.pttl(key) > 300_000, 'without it, the request slides the session')
})

t.test('nginx hands a reissued token back to the client', { skip: NO_NGINX }, async (t) => {
  const clock = new TestClock()
  const gateway = await startGateway(t, { env: { SESSION_ROTATE_AFTER: String(ROTATE_AFTER_SECONDS) }, clock: clock.now })
  const byHeader = await createAndLogIn(gateway.app)
  const byCookie = await createAndLogIn(gateway.app)
  // The tokens must be older than SESSION_ROTATE_AFTER (whole seconds), by the server's clock.
  clock.advance((ROTATE_AFTER_SECONDS + 1) * MS_PER_SECOND)

  t.test('a header client gets x-renewed-token, and the new token works', async (t) => {
    const answer = await send(gateway, 'GET', '/orders', { token: byHeader.token })
    assertReached(t, answer, byHeader, 'GET', '/orders')
    const renewed = answer.headers['x-renewed-token']
    if (typeof renewed !== 'string') {
      t.fail(`no x-renewed-token: ${JSON.stringify(answer.headers)}`)
      return
    }
    t.not(renewed, byHeader.token, 'a new token')
    t.strictSame(setCookies(answer), [], 'no cookie for a header client')
    const next = await send(gateway, 'GET', '/orders', { token: renewed })
    assertReached(t, next, byHeader, 'GET', '/orders')
    t.equal(next.headers['x-renewed-token'], undefined, 'the new token is fresh')
  })

  t.test('a cookie client gets a Set-Cookie with the new access token, and it works', async (t) => {
    const answer = await send(gateway, 'GET', '/orders', { cookie: `accessToken=${byCookie.token}` })
    assertReached(t, answer, byCookie, 'GET', '/orders')
    t.equal(answer.headers['x-renewed-token'], undefined, 'no script-readable token for a cookie client')
    const cookies = setCookies(answer)
    t.equal(cookies.length, 1, `one cookie: ${cookies.join(' | ')}`)
    const renewed = /^accessToken=([^;]+);/.exec(cookies[0] ?? '')?.[1]
    if (renewed === undefined) {
      t.fail('no accessToken cookie')
      return
    }
    t.not(renewed, byCookie.token, 'a new token')
    t.match(cookies[0], /; HttpOnly/i, 'still HttpOnly')
    assertReached(t, await send(gateway, 'GET', '/orders', { cookie: `accessToken=${renewed}` }), byCookie, 'GET', '/orders')
  })
})

t.test('nginx answers 503 "1503" when the check cannot be made', { skip: NO_NGINX }, async (t) => {
  t.test('Redis is down: the auth server\'s 503 reaches the client as JSON, not nginx\'s 500', async (t) => {
    // Its own redis-server, to stop; NEAR_CACHE=off, so that every check goes to Redis.
    const redisServer = await RedisServer.start()
    t.teardown(async () => await redisServer.destroy())
    const gateway = await startGateway(t, { env: { NEAR_CACHE: 'off' }, redisServer })
    const session = await createAndLogIn(gateway.app)
    assertReached(t, await send(gateway, 'GET', '/orders', { token: session.token }), session, 'GET', '/orders')

    await redisServer.stop()
    try {
      const direct = await gateway.app.inject({ method: 'GET', url: '/auth/verify', headers: { token: session.token } })
      t.equal(direct.statusCode, 503, 'the auth server itself answers 503')
      for (const method of ['GET', 'POST']) {
        const answer = await assertStoppedAtGateway(t, gateway, async () => await send(gateway, method, '/orders', { token: session.token }))
        assertRefused(t, answer, 503, '1503')
      }
    } finally {
      await redisServer.restart()
    }
  })

  t.test('the auth server does not answer at all', async (t) => {
    const upstream = await startEchoUpstream(t)
    const origin = await startNginx(t, { authPort: await freePort(), appPort: upstream.port })
    const res = await request(`${origin}/orders`, { headers: { token: 'any' } })
    const body = await res.body.json() as ErrorBody
    t.equal(res.statusCode, 503)
    t.equal(body.errorCode, '1503')
    t.equal(upstream.seen.length, 0, 'the service is not called')
  })
})
