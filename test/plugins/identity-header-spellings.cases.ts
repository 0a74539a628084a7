import Fastify, { type FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import { request } from 'undici'
import sessionCheck from '../../session-check/index.js'
import { buildTestApp, TEST_JWT_SECRET } from '../helpers/build-app.js'
import { RedisServer } from '../helpers/redis-server.js'
import { createAndLogIn } from '../helpers/sessions.js'

// Every spelling of the three identity headers with at least one underscore for a hyphen, in
// several cases: CGI-style stacks (WSGI, FastCGI, Puma) read each as the hyphenated header.
const UNDERSCORE_SPELLINGS = [
  'x_user_id', 'x-user_id', 'x_user-id', 'X_User_Id', 'X_USER-ID',
  'x_user_type', 'x-user_type', 'x_user-type', 'X_User_Type', 'x-USER_type',
  'x_session_id', 'x-session_id', 'x_session-id', 'X_Session_Id', 'X_SESSION-ID'
]
// Neither an identity header nor one of its spellings: not refused.
const OTHER_UNDERSCORE_HEADERS = ['x_request_id', 'x_user_ids', 'x__user_id', 'x_user']

interface ErrorBody {
  code: number
  errorCode: string
  info: string
}

function assertRefused (t: Test, statusCode: number, body: ErrorBody, name: string): void {
  t.equal(statusCode, 400, `${name}: 400`)
  t.equal(body.code, 0)
  t.equal(body.errorCode, '1400', `${name}: "1400"`)
  t.match(body.info, /hyphens/, `${name}: the answer says why`)
}

t.test('the server refuses any request that carries an identity header spelled with underscores', async (t) => {
  const { app } = await buildTestApp(t)
  const session = await createAndLogIn(app)

  for (const name of UNDERSCORE_SPELLINGS) {
    for (const [method, url] of [['GET', '/auth/verify'], ['POST', '/auth/logout'], ['GET', '/no-such-route']] as const) {
      const answer = await app.inject({ method, url, headers: { token: session.token, [name]: 'admin' } })
      assertRefused(t, answer.statusCode, answer.json<ErrorBody>(), `${name} on ${method} ${url}`)
    }
    const empty = await app.inject({ method: 'GET', url: '/auth/verify', headers: { token: session.token, [name]: '' } })
    t.equal(empty.statusCode, 400, `${name} with an empty value is refused too`)
  }
  const verified = await app.inject({ method: 'GET', url: '/auth/verify', headers: { token: session.token } })
  t.equal(verified.statusCode, 204, 'the refused requests changed nothing: the session is live (no logout ran)')

  for (const name of OTHER_UNDERSCORE_HEADERS) {
    const answer = await app.inject({ method: 'GET', url: '/auth/verify', headers: { token: session.token, [name]: '1' } })
    t.equal(answer.statusCode, 204, `${name} is not an identity header: not refused`)
  }
  const hyphens = await app.inject({
    method: 'GET', url: '/auth/verify', headers: { token: session.token, 'x-user-id': '1', 'x-user-type': 'admin', 'x-session-id': 'forged' }
  })
  t.equal(hyphens.statusCode, 204, 'the hyphenated spellings are not refused (the server reads identity from the token)')
  t.equal(hyphens.headers['x-user-type'], 'user', 'and the client\'s own X-User-Type is not what the check answers')

  t.test('over HTTP, as a client sends them, whatever their case', async (t) => {
    await app.listen({ port: 0, host: '127.0.0.1' })
    const address = app.server.address()
    if (address === null || typeof address === 'string') throw new Error('no port')
    for (const name of ['X_User_Type', 'X-User_Id', 'x_SESSION_id']) {
      const res = await request(`http://127.0.0.1:${address.port}/auth/verify`, { headers: { token: session.token, [name]: 'admin' } })
      assertRefused(t, res.statusCode, await res.body.json() as ErrorBody, `${name} over HTTP`)
    }
  })
})

// A service of the app, with the plugin: its own error handler and a route without the check.
async function otherService (t: Test, redisUrl: string): Promise<FastifyInstance> {
  const service = Fastify()
  t.teardown(async () => await service.close())
  service.setErrorHandler(async (_error, _request, reply) => await reply.code(500).send({ oops: true }))
  await service.register(sessionCheck, { redisUrl, jwtSecret: TEST_JWT_SECRET, env: {} })
  service.get('/orders', { preHandler: service.authenticate }, async (request) => ({ userId: request.user.userId }))
  service.get('/public', async () => ({ ok: true }))
  await service.ready()
  return service
}

t.test('the plugin refuses them in another Fastify service, on every route, in the server\'s error shape', async (t) => {
  const redisServer = await RedisServer.start()
  t.teardown(async () => await redisServer.destroy())
  const { app } = await buildTestApp(t, { redisServer })
  const service = await otherService(t, redisServer.url)
  const session = await createAndLogIn(app)

  for (const name of UNDERSCORE_SPELLINGS) {
    for (const url of ['/orders', '/public']) {
      const answer = await service.inject({ method: 'GET', url, headers: { token: session.token, [name]: 'admin' } })
      assertRefused(t, answer.statusCode, answer.json<ErrorBody>(), `${name} on ${url}`)
    }
  }
  for (const name of OTHER_UNDERSCORE_HEADERS) {
    const answer = await service.inject({ method: 'GET', url: '/orders', headers: { token: session.token, [name]: '1' } })
    t.same(answer.json(), { userId: session.userId }, `${name}: not refused`)
  }
  const ok = await service.inject({ method: 'GET', url: '/orders', headers: { token: session.token, 'x-user-id': '999' } })
  t.same(ok.json(), { userId: session.userId }, 'the hyphenated spelling is not refused, and not trusted')
})
