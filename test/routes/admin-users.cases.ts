import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { buildTestApp } from '../helpers/build-app.js'
import { createAndLogIn, createUser } from '../helpers/sessions.js'
import { TestClock } from '../helpers/test-clock.js'
import { appOptions, SLIDING } from '../helpers/strategies.js'

// GET /admin/users: this server's users by id, a page at a time, each with its ban as
// GET /admin/users/:userId/ban shows it (issue 26 §5: "the server's user list shows it").

const MS_PER_SECOND = 1000
const HOUR_MS = 60 * 60 * MS_PER_SECOND
// Redis' own expiry lifts a ban with `until`, so that wait is real.
const SHORT_BAN_MS = 1000
// A liveness bound, far above SHORT_BAN_MS: only a ban that never lifts reaches it.
const WAIT_LIMIT_MS = 15_000
const POLL_MS = 100

interface ListedUser {
  userId: number
  account: string
  userType: string
  createdAt: string
  ban: { banned: boolean, reason?: string, until?: string, bannedAt?: string, actor?: string }
}

interface UserList {
  users: ListedUser[]
  next: number | null
}

async function listUsers (app: FastifyInstance, token: string, query = ''): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'GET', url: `/admin/users${query}`, headers: { token } })
}

async function listed (app: FastifyInstance, token: string, userId: number): Promise<ListedUser | undefined> {
  const res = await listUsers(app, token, `?after=${userId - 1}&limit=1`)
  return res.json<UserList>().users[0]
}

t.test('pagination walks every user exactly once, by id; next is null on the last page', async (t) => {
  const { app } = await buildTestApp(t, appOptions(SLIDING))
  const before = Date.now()
  const admin = await createAndLogIn(app, 'admin')
  const users = [admin.userId]
  for (let i = 0; i < 7; i++) users.push((await createUser(app)).userId)
  const after = Date.now()

  for (const limit of [3, 4, 1]) {
    const seen: number[] = []
    const pageSizes: number[] = []
    let query = `?limit=${limit}`
    for (let page = 0; page <= users.length; page++) {
      const res = await listUsers(app, admin.token, query)
      t.equal(res.statusCode, 200, res.body)
      const { users: listedUsers, next } = res.json<UserList>()
      seen.push(...listedUsers.map((user) => user.userId))
      pageSizes.push(listedUsers.length)
      if (next === null) break
      t.equal(next, listedUsers.at(-1)?.userId, 'next is the last id of the page')
      query = `?limit=${limit}&after=${next}`
    }
    t.same(seen, users, `limit ${limit}: every user once, in id order`)
    t.same(pageSizes, Array.from({ length: Math.ceil(users.length / limit) }, (_, i) => Math.min(limit, users.length - i * limit)),
      `limit ${limit}: full pages, and no empty page after the last (${pageSizes.join(', ')})`)
  }

  const all = await listUsers(app, admin.token)
  const body = all.json<UserList>()
  t.same(body.users.map((user) => user.userId), users, 'without a query: the first 50, here all of them')
  t.equal(body.next, null)
  t.match(body.users[0], { userId: admin.userId, account: admin.account, userType: 'admin', ban: { banned: false } }, 'the admin, as an admin')
  t.match(body.users[1], { userType: 'user', ban: { banned: false } })
  for (const user of body.users) {
    const createdMs = Date.parse(user.createdAt)
    t.ok(createdMs >= before - MS_PER_SECOND && createdMs <= after + MS_PER_SECOND, `createdAt is when the user was created (${user.createdAt})`)
  }
  t.notOk(all.body.includes('argon2'), 'no password hash is answered')

  const last = users.at(-1) ?? 0
  t.same((await listUsers(app, admin.token, `?after=${last}`)).json(), { users: [], next: null }, 'after the last id: an empty page')
  t.same((await listUsers(app, admin.token, '?after=9999999999')).json(), { users: [], next: null },
    'after an id beyond the integer range: an empty page, not an error')
})

t.test('on one app', async (t) => {
  const clock = new TestClock()
  const { app } = await buildTestApp(t, { ...appOptions(SLIDING), clock: clock.now })
  const admin = await createAndLogIn(app, 'admin')

  t.test('a banned user shows its ban as GET /admin/users/:userId/ban does; another shows {banned: false}', async (t) => {
    const banned = await createUser(app)
    const bannedByTheApp = await createUser(app)
    const free = await createUser(app)
    const until = new Date(clock.now() + HOUR_MS).toISOString()
    const ban = await app.inject({ method: 'POST', url: `/admin/users/${banned.userId}/ban`, headers: { token: admin.token }, payload: { reason: 'chargeback fraud', until } })
    t.equal(ban.statusCode, 200, ban.body)
    await app.sessions.ban(bannedByTheApp.userId, { reason: 'spam', actor: 'moderation' })

    const res = await listUsers(app, admin.token, `?after=${banned.userId - 1}&limit=3`)
    t.equal(res.statusCode, 200, res.body)
    const [first, second, third] = res.json<UserList>().users
    t.match(first, { userId: banned.userId, ban: { banned: true, reason: 'chargeback fraud', until, actor: `admin:${admin.userId}` } }, 'the reason, until and the admin')
    t.match(second, { userId: bannedByTheApp.userId, ban: { banned: true, reason: 'spam', actor: 'moderation' } }, 'a ban without until')
    t.notOk(second !== undefined && 'until' in second.ban, 'shows no until')
    t.same(third, { userId: free.userId, account: free.account, userType: 'user', createdAt: third?.createdAt, ban: { banned: false } }, 'an unbanned user: {banned: false}')
    for (const [user, entry] of [[banned, first], [bannedByTheApp, second], [free, third]] as const) {
      const shown = await app.inject({ method: 'GET', url: `/admin/users/${user.userId}/ban`, headers: { token: admin.token } })
      t.same(entry?.ban, shown.json(), `user ${user.userId}: exactly what GET /admin/users/:userId/ban answers`)
    }

    await app.inject({ method: 'DELETE', url: `/admin/users/${banned.userId}/ban`, headers: { token: admin.token } })
    t.same((await listed(app, admin.token, banned.userId))?.ban, { banned: false }, 'a lifted ban is no longer shown')
  })

  t.test('a ban that lifted by its until shows as not banned', async (t) => {
    const user = await createUser(app)
    await app.sessions.ban(user.userId, { reason: 'cooling off', until: new Date(clock.now() + SHORT_BAN_MS) })
    t.match((await listed(app, admin.token, user.userId))?.ban, { banned: true, reason: 'cooling off' }, 'shown while it lasts')
    const deadline = Date.now() + WAIT_LIMIT_MS
    let entry = await listed(app, admin.token, user.userId)
    while (entry?.ban.banned === true && Date.now() < deadline) {
      await sleep(POLL_MS)
      entry = await listed(app, admin.token, user.userId)
    }
    t.same(entry?.ban, { banned: false }, 'not banned once Redis expired the key')
  })

  t.test('a bad query is 400 "1400"', async (t) => {
    for (const [query, info] of [
      ['?limit=0', 'querystring/limit must be an integer from 1 to 200'],
      ['?limit=201', 'querystring/limit must be an integer from 1 to 200'],
      ['?limit=abc', 'querystring/limit must be an integer from 1 to 200'],
      ['?limit=-1', 'querystring/limit must be an integer from 1 to 200'],
      ['?after=abc', 'querystring/after must be a positive integer'],
      ['?after=1.5', 'querystring/after must be a positive integer'],
      ['?after=12345678901', 'querystring/after must be a positive integer']
    ] as const) {
      const res = await listUsers(app, admin.token, query)
      t.equal(res.statusCode, 400, `${query}: 400`)
      t.same(res.json(), { code: 0, errorCode: '1400', info }, `${query}: ${info}`)
    }
    t.equal((await listUsers(app, admin.token, '?limit=200')).statusCode, 200, 'limit=200 is allowed')
    t.equal((await listUsers(app, admin.token, '?limit=1')).statusCode, 200, 'and limit=1')
  })

  t.test('a user is refused 403 "1403"; no session 401', async (t) => {
    const user = await createAndLogIn(app)
    const res = await listUsers(app, user.token)
    t.equal(res.statusCode, 403)
    t.equal(res.json<{ errorCode: string }>().errorCode, '1403')
    t.equal((await app.inject({ method: 'GET', url: '/admin/users' })).statusCode, 401)
  })

  // Last: it moves the app's clock past the admin's sign-in.
  t.test('an admin whose sign-in is older than ADMIN_REAUTH_MAX_AGE is refused 403 "1005"', async (t) => {
    t.equal((await listUsers(app, admin.token)).statusCode, 200, 'just signed in')
    clock.advance(app.config.ADMIN_REAUTH_MAX_AGE * MS_PER_SECOND + 1)
    const stale = await listUsers(app, admin.token)
    t.equal(stale.statusCode, 403)
    t.match(stale.json(), { errorCode: '1005', maxAge: app.config.ADMIN_REAUTH_MAX_AGE })
  })
})
