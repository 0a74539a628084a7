import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import t from 'tap'
import { buildTestApp } from './helpers/build-app.js'
import { createUser, logIn, uniqueAccount, TEST_PASSWORD } from './helpers/sessions.js'

const PROXY = '127.0.0.1'
const CLIENT = '203.0.113.9'
const LOGIN_PER_IP = 3

// A failed login of a fresh account (so only the per-IP budget is spent), sent through a proxy
// that appends the real client to whatever X-Forwarded-For the client itself wrote.
async function failedLoginVia (app: FastifyInstance, peer: string, forwardedFor: string): Promise<LightMyRequestResponse> {
  return await app.inject({
    method: 'POST',
    url: '/auth/login',
    remoteAddress: peer,
    headers: { 'x-forwarded-for': forwardedFor },
    payload: { account: uniqueAccount(), password: TEST_PASSWORD }
  })
}

function limits (): Record<string, string> {
  return { RATE_LIMIT_LOGIN_IP: String(LOGIN_PER_IP), RATE_LIMIT_WINDOW: '60' }
}

for (const trustProxy of [PROXY, '127.0.0.0/8', '1']) {
  t.test(`TRUST_PROXY=${trustProxy}: the client IP is the rightmost address that is not a trusted proxy`, async (t) => {
    const { app } = await buildTestApp(t, { env: { TRUST_PROXY: trustProxy, ...limits() } })
    for (let i = 1; i <= LOGIN_PER_IP; i++) {
      const res = await failedLoginVia(app, PROXY, `198.51.100.${i}, ${CLIENT}`)
      t.equal(res.statusCode, 401, `failed login #${i} with a made-up leftmost address: 401`)
    }
    const limited = await failedLoginVia(app, PROXY, `198.51.100.99, ${CLIENT}`)
    t.equal(limited.statusCode, 429, `the client's per-IP budget is spent whatever it writes first (${limited.body})`)
    const neighbour = await failedLoginVia(app, PROXY, `${CLIENT}, 203.0.113.10`)
    t.equal(neighbour.statusCode, 401, 'another client behind the same proxy keeps its budget')

    const user = await createUser(app)
    const login = await app.inject({
      method: 'POST',
      url: '/auth/login',
      remoteAddress: PROXY,
      headers: { 'x-forwarded-for': `10.9.9.9, ${'203.0.113.20'}` },
      payload: { account: user.account, password: user.password }
    })
    t.equal(login.statusCode, 200, login.body)
    const listed = await app.inject({ method: 'GET', url: '/auth/sessions', headers: { token: login.json<{ token: string }>().token } })
    t.same(listed.json<{ sessions: Array<{ ip: string }> }>().sessions.map((session) => session.ip), ['203.0.113.20'],
      'the session list shows the address the proxy saw, not the one the client wrote')
  })
}

t.test('TRUST_PROXY=false (the default): X-Forwarded-For is ignored', async (t) => {
  const { app } = await buildTestApp(t, { env: limits() })
  for (let i = 1; i <= LOGIN_PER_IP; i++) {
    t.equal((await failedLoginVia(app, CLIENT, `198.51.100.${i}`)).statusCode, 401, `failed login #${i}`)
  }
  const limited = await failedLoginVia(app, CLIENT, '198.51.100.200')
  t.equal(limited.statusCode, 429, 'a new X-Forwarded-For on each request does not buy a new budget')
  const user = await createUser(app)
  const login = await logIn(app, user)
  const listed = await app.inject({ method: 'GET', url: '/auth/sessions', headers: { token: login.token, 'x-forwarded-for': '10.1.1.1' } })
  t.same(listed.json<{ sessions: Array<{ ip: string }> }>().sessions.map((session) => session.ip), ['127.0.0.1'], 'the peer address')
})

t.test('a peer that is not a trusted proxy is the client, whatever it forwards', async (t) => {
  const { app } = await buildTestApp(t, { env: { TRUST_PROXY: '10.0.0.0/8', ...limits() } })
  for (let i = 1; i <= LOGIN_PER_IP; i++) {
    t.equal((await failedLoginVia(app, CLIENT, `10.0.0.${i}, 198.51.100.${i}`)).statusCode, 401, `failed login #${i}`)
  }
  t.equal((await failedLoginVia(app, CLIENT, '198.51.100.77')).statusCode, 429, 'the untrusted peer is limited itself')
})
