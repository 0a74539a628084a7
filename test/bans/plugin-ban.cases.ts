import Fastify, { type FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import sessionCheck, { type SessionBanOptions } from '../../session-check/index.js'
import type { AppConfig } from '../../src/config/load-config.js'
import { buildTestApp } from '../helpers/build-app.js'
import { createUser, logIn, me } from '../helpers/sessions.js'
import { appOptions, forEachStrategy } from '../helpers/strategies.js'
import { tryLogIn } from './ban-requests.js'
import { pluginOptionsOf } from '../helpers/plugin-options.js'

const HOUR_MS = 60 * 60 * 1000

// Another Fastify service with the plugin, on the auth server's Redis, secret and strategy.
async function serviceOf (t: Test, config: AppConfig): Promise<FastifyInstance> {
  const service = Fastify()
  t.teardown(async () => await service.close())
  await service.register(sessionCheck, pluginOptionsOf(config, { databaseUrl: config.DATABASE_URL }))
  service.get('/whoami', { preHandler: service.authenticate }, async (request) => request.user)
  await service.ready()
  return service
}

async function rejection (promise: Promise<unknown>): Promise<unknown> {
  return await promise.then(() => undefined, (error: unknown) => error)
}

t.test('app.sessions.ban in another service bans on the auth server too, and unban lifts it', async (t) => {
  forEachStrategy(t, async (t, strategy) => {
    const { app, config } = await buildTestApp(t, appOptions(strategy))
    const service = await serviceOf(t, config)
    const user = await createUser(app)
    const session = await logIn(app, user, 'laptop')
    const whoami = async (): Promise<number> => (await service.inject({ method: 'GET', url: '/whoami', headers: { token: session.token } })).statusCode
    t.equal(await whoami(), 200, 'the service honours the session, and caches it')
    const until = new Date(Date.now() + HOUR_MS)

    t.equal(await service.sessions.ban(user.userId, { reason: 'spam', until, actor: 'moderation' }), 1, 'one session ended')
    t.equal(await whoami(), 401, 'the service refuses it at once')
    t.match((await me(app, session.token)).json(), { errorCode: '1002', reason: 'banned' }, 'and the auth server')
    t.same((await tryLogIn(app, user)).json(), { code: 0, errorCode: '1011', info: 'This account is disabled', reason: 'banned', until: until.toISOString() },
      'the auth server refuses the login')
    t.match(await rejection(service.sessions.start({ userId: user.userId })), { code: 'AUTH_1011', until: until.toISOString() }, 'and the service a start')
    t.same(await service.sessions.findBan(user.userId), await app.sessions.findBan(user.userId), 'both sides see the same ban')
    t.match(await service.sessions.findBan(user.userId), { banned: true, reason: 'spam', until: until.toISOString(), actor: 'moderation' })

    t.equal(await service.sessions.unban(user.userId), true)
    t.equal(await service.sessions.unban(user.userId), false, 'nothing left to lift')
    t.equal((await tryLogIn(app, user)).statusCode, 200, 'the user signs in again')
  })
})

t.test('app.sessions.ban refuses what the routes refuse, and ends nothing then', async (t) => {
  const { app } = await buildTestApp(t)
  const started = await app.sessions.start({ userId: 'u-1' })
  const refusals: Array<[unknown, RegExp]> = [
    [undefined, /the ban must be an object/],
    [{}, /reason must be a string of 1 to 200 characters/],
    [{ reason: '' }, /reason must be/],
    [{ reason: 'r'.repeat(201) }, /reason must be/],
    [{ reason: 'tab\there' }, /reason must be/],
    [{ reason: 'spam', until: '2030-01-01T00:00:00Z' }, /until must be a valid Date/],
    [{ reason: 'spam', until: new Date('not a date') }, /until must be a valid Date/],
    [{ reason: 'spam', until: new Date(Date.now() - 1000) }, /until must be in the future/]
  ]
  for (const [options, message] of refusals) {
    // What plain JavaScript may pass, past the types.
    const error = await rejection(app.sessions.ban('u-1', options as SessionBanOptions))
    t.match(error, { statusCode: 400, code: 'AUTH_1400', message }, `${JSON.stringify(options) ?? 'undefined'}: ${String(message)}`)
  }
  t.match(await rejection(app.sessions.ban('a b', { reason: 'spam' })), { code: 'AUTH_1400', message: /userId must be/ }, 'a user id of neither kind')
  t.match(await rejection(app.sessions.unban('a b')), { code: 'AUTH_1400' })
  t.equal((await me(app, started.token)).statusCode, 200, 'the session lives on')
  t.same(await app.sessions.findBan('u-1'), { banned: false })
})
