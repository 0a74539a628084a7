import t, { type Test } from 'tap'
import type { BuildOptions } from '../helpers/build-app.js'
import { RedisServer } from '../helpers/redis-server.js'
import { createAndLogIn } from '../helpers/sessions.js'
import { TestClock } from '../helpers/test-clock.js'
import type { CaddyForm } from './caddy-conf.js'
import { NO_CADDY, startCaddy } from './caddy-process.js'
import {
  assertReached, assertRefused, assertStoppedAtGateway, cookieOf, FORGED_IDENTITY, send, setCookies,
  startGateway as startGatewayWith, UNDERSCORE_IDENTITY, type Gateway
} from './gateway-client.js'

const ROTATE_AFTER_SECONDS = 1
const MS_PER_SECOND = 1000
const FORMS: CaddyForm[] = ['short', 'expanded']
// Not an identity header: the recipes remove every header name with an underscore all the same.
const OTHER_UNDERSCORE_HEADER = { Request_Id: 'r-1' }

async function startGateway (t: Test, form: CaddyForm, options: BuildOptions = {}): Promise<Gateway> {
  return await startGatewayWith(t, async (t, ports) => await startCaddy(t, form, ports), options)
}

for (const form of FORMS) {
  t.test(`Caddy with the ${form} forward_auth of docs/gateways.md`, { skip: NO_CADDY }, async (t) => {
    const gateway = await startGateway(t, form)

    t.test('a live session reaches the service with its identity; a forged identity does not', async (t) => {
      const session = await createAndLogIn(gateway.app)
      assertReached(t, await send(gateway, 'GET', '/orders?page=2', { token: session.token }), session, 'GET', '/orders?page=2')
      assertReached(t, await send(gateway, 'POST', '/orders', { authorization: `Bearer ${session.token}`, ...FORGED_IDENTITY }), session, 'POST', '/orders')
      assertReached(t, await send(gateway, 'GET', '/orders', { token: session.token, ...OTHER_UNDERSCORE_HEADER }), session, 'GET', '/orders')

      const anonymous = await assertStoppedAtGateway(t, gateway, async () => await send(gateway, 'GET', '/orders', FORGED_IDENTITY))
      assertRefused(t, anonymous, 401, '1001')
    })

    t.test('identity headers spelled with underscores never reach the service', async (t) => {
      const session = await createAndLogIn(gateway.app)
      const headers = { token: session.token, ...UNDERSCORE_IDENTITY }
      if (form === 'expanded') {
        // The route removes them before the check: the request goes on without them.
        assertReached(t, await send(gateway, 'GET', '/orders', headers), session, 'GET', '/orders')
      } else {
        // forward_auth runs before request_header: the check sees them and refuses the request.
        assertRefused(t, await assertStoppedAtGateway(t, gateway, async () => await send(gateway, 'GET', '/orders', headers)), 400, '1400')
      }
      for (const [name, value] of Object.entries(UNDERSCORE_IDENTITY)) {
        const answer = await send(gateway, 'GET', '/orders', { token: session.token, [name]: value })
        if (form === 'expanded') assertReached(t, answer, session, 'GET', '/orders')
        else assertRefused(t, answer, 400, '1400')
      }
      t.notOk(gateway.upstream.seen.some((view) => view.underscoreHeaders !== undefined), 'no header name with an underscore reached the service')
    })

    t.test('refusals reach the client as the auth server\'s JSON, and the service is not called', async (t) => {
      assertRefused(t, await assertStoppedAtGateway(t, gateway, async () => await send(gateway, 'GET', '/orders')), 401, '1001')
      assertRefused(t, await assertStoppedAtGateway(t, gateway, async () =>
        await send(gateway, 'DELETE', '/orders/7', { token: 'not-a-token' })), 401, '1001')

      const session = await createAndLogIn(gateway.app)
      const logout = await gateway.app.inject({ method: 'POST', url: '/auth/logout', headers: { token: session.token } })
      t.equal(logout.statusCode, 200)
      const ended = assertRefused(t, await assertStoppedAtGateway(t, gateway, async () =>
        await send(gateway, 'GET', '/orders', { token: session.token })), 401, '1002', 'logout')
      t.equal(ended.info, 'Session has ended (logout)', 'the auth server\'s own body')
    })

    t.test('a cookie: safe methods pass, unsafe ones need the CSRF proof', async (t) => {
      const session = await createAndLogIn(gateway.app)
      const csrf = cookieOf(session, 'csrfToken')
      const cookie = `accessToken=${session.token}; csrfToken=${csrf}`
      assertReached(t, await send(gateway, 'GET', '/orders', { cookie }), session, 'GET', '/orders')
      const withoutProof: Array<Record<string, string>> = [{}, { origin: 'https://evil.example' }, { 'x-forwarded-method': 'GET' }]
      for (const headers of withoutProof) {
        assertRefused(t, await assertStoppedAtGateway(t, gateway, async () => await send(gateway, 'POST', '/orders', { cookie, ...headers })), 403, '1403')
      }
      assertReached(t, await send(gateway, 'POST', '/orders', { cookie, 'x-csrf-token': csrf }), session, 'POST', '/orders')
      assertReached(t, await send(gateway, 'DELETE', '/orders/7', { cookie, origin: gateway.origin }), session, 'DELETE', '/orders/7')
    })
  })

  t.test(`Caddy with the ${form} forward_auth: Redis down answers 503 "1503" as JSON`, { skip: NO_CADDY }, async (t) => {
    const redisServer = await RedisServer.start()
    t.teardown(async () => await redisServer.destroy())
    const gateway = await startGateway(t, form, { env: { NEAR_CACHE: 'off' }, redisServer })
    const session = await createAndLogIn(gateway.app)
    assertReached(t, await send(gateway, 'GET', '/orders', { token: session.token }), session, 'GET', '/orders')
    await redisServer.stop()
    try {
      assertRefused(t, await assertStoppedAtGateway(t, gateway, async () => await send(gateway, 'GET', '/orders', { token: session.token })), 503, '1503')
    } finally {
      await redisServer.restart()
    }
  })
}

t.test('Caddy and a reissued token', { skip: NO_CADDY }, async (t) => {
  for (const form of FORMS) {
    t.test(`the ${form} form`, async (t) => {
      const clock = new TestClock()
      const gateway = await startGateway(t, form, { env: { SESSION_ROTATE_AFTER: String(ROTATE_AFTER_SECONDS) }, clock: clock.now })
      const byHeader = await createAndLogIn(gateway.app)
      const byCookie = await createAndLogIn(gateway.app)
      clock.advance((ROTATE_AFTER_SECONDS + 1) * MS_PER_SECOND)

      const headerAnswer = await send(gateway, 'GET', '/orders', { token: byHeader.token })
      assertReached(t, headerAnswer, byHeader, 'GET', '/orders')
      const cookieAnswer = await send(gateway, 'GET', '/orders', { cookie: `accessToken=${byCookie.token}` })
      assertReached(t, cookieAnswer, byCookie, 'GET', '/orders')
      const renewed = headerAnswer.headers['x-renewed-token']
      const cookies = setCookies(cookieAnswer)
      if (form === 'short') {
        // What docs/gateways.md says: the short form drops both, so it suits SESSION_ROTATE_AFTER=0 only.
        t.equal(renewed, undefined, 'the short form drops x-renewed-token')
        t.strictSame(cookies, [], 'the short form drops the Set-Cookie')
        return
      }
      if (typeof renewed !== 'string') {
        t.fail(`no x-renewed-token: ${JSON.stringify(headerAnswer.headers)}`)
        return
      }
      t.not(renewed, byHeader.token, 'a new token')
      assertReached(t, await send(gateway, 'GET', '/orders', { token: renewed }), byHeader, 'GET', '/orders')
      t.equal(cookies.length, 1, `one cookie: ${cookies.join(' | ')}`)
      const renewedCookie = /^accessToken=([^;]+);/.exec(cookies[0] ?? '')?.[1]
      t.ok(renewedCookie !== undefined && renewedCookie !== byCookie.token, 'a new access-token cookie')
      t.match(cookies[0], /; HttpOnly/i, 'still HttpOnly')
      assertReached(t, await send(gateway, 'GET', '/orders', { cookie: `accessToken=${renewedCookie ?? ''}` }), byCookie, 'GET', '/orders')
    })
  }
})
