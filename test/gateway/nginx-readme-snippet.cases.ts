import t from 'tap'
import { createAndLogIn } from '../helpers/sessions.js'
import { assertReached, assertStoppedAtGateway, FORGED_IDENTITY, send, startGateway, UNDERSCORE_IDENTITY } from './gateway-client.js'
import { readmeNginxServer } from './nginx-conf.js'
import { NO_NGINX, startNginx } from './nginx-process.js'

// The README's essential lines, read from README.md, run as they stand: they are what a reader
// copies, so they must not let a client choose its own identity.
t.test('nginx with the README\'s snippet', { skip: NO_NGINX }, async (t) => {
  const gateway = await startGateway(t, async (t, ports) => await startNginx(t, ports, readmeNginxServer))
  const session = await createAndLogIn(gateway.app)

  t.test('the service sees the identity of the session, whatever identity headers the client sends', async (t) => {
    assertReached(t, await send(gateway, 'GET', '/orders', { token: session.token }), session, 'GET', '/orders')
    assertReached(t, await send(gateway, 'POST', '/orders', { authorization: `Bearer ${session.token}`, ...FORGED_IDENTITY }), session, 'POST', '/orders')
    for (const [name, value] of Object.entries(FORGED_IDENTITY)) {
      assertReached(t, await send(gateway, 'GET', '/orders', { token: session.token, [name]: value }), session, 'GET', '/orders')
    }
    assertReached(t, await send(gateway, 'GET', '/orders', { token: session.token, ...UNDERSCORE_IDENTITY }), session, 'GET', '/orders')
  })

  t.test('without a live token the service is not called, whatever the client claims', async (t) => {
    const claims: Array<Record<string, string>> = [{}, { token: 'not-a-token' }, FORGED_IDENTITY, UNDERSCORE_IDENTITY]
    for (const headers of claims) {
      const answer = await assertStoppedAtGateway(t, gateway, async () => await send(gateway, 'GET', '/orders', headers))
      t.equal(answer.status, 401, `refused: ${JSON.stringify(headers)}`)
    }
  })

  t.test('a client-sent X-Forwarded-Method does not make a cookie POST safe', async (t) => {
    const answer = await assertStoppedAtGateway(t, gateway, async () =>
      await send(gateway, 'POST', '/orders', { cookie: `accessToken=${session.token}`, 'x-forwarded-method': 'GET' }))
    t.equal(answer.status, 403, 'refused for want of the CSRF proof')
  })
})
