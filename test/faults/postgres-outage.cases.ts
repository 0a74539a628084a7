import t from 'tap'
import { buildTestApp } from '../helpers/build-app.js'
import { postgresRelaySkip, relayedTestDatabase } from '../helpers/postgres-relay.js'
import { createAndLogIn, me } from '../helpers/sessions.js'

t.test('with PostgreSQL unreachable, signed-in users keep working; logins and notes answer 503', { skip: postgresRelaySkip }, async (t) => {
  const relay = await relayedTestDatabase(t)
  const { app } = await buildTestApp(t, { env: { DATABASE_URL: relay.url } })
  const session = await createAndLogIn(app)
  const other = await createAndLogIn(app)
  const admin = await createAndLogIn(app, 'admin')
  await relay.cut()
  t.equal((await me(app, session.token)).statusCode, 200, 'GET /auth/me still works')
  const list = await app.inject({ method: 'GET', url: '/auth/sessions', headers: { token: session.token } })
  t.equal(list.statusCode, 200, 'the session list still works')
  const logout = await app.inject({ method: 'POST', url: '/auth/logout', headers: { token: other.token } })
  t.equal(logout.statusCode, 200, 'logout still works')

  const login = await app.inject({ method: 'POST', url: '/auth/login', payload: { account: session.account, password: session.password } })
  t.equal(login.statusCode, 503, 'a login needs the database: 503')
  t.equal(login.json().errorCode, '1503')
  t.equal((await app.inject({ method: 'GET', url: '/ready' })).statusCode, 503)
  t.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200)
  t.equal((await me(app, session.token)).statusCode, 200, 'the failed login ended nothing')

  // The notes example stores data of its own: a query and a transaction, both 503, never 500.
  const notes = await app.inject({ method: 'GET', url: '/notes', headers: { token: session.token } })
  t.same([notes.statusCode, notes.json().errorCode], [503, '1503'], `GET /notes needs the database: 503 (${notes.body})`)
  const added = await app.inject({ method: 'POST', url: '/notes', headers: { token: session.token }, payload: { text: 'x' } })
  t.same([added.statusCode, added.json().errorCode], [503, '1503'], `POST /notes too (${added.body})`)
  t.equal((await me(app, session.token)).statusCode, 200, 'and neither ended the session')

  // The admins' user list reads the users table.
  const users = await app.inject({ method: 'GET', url: '/admin/users', headers: { token: admin.token } })
  t.same([users.statusCode, users.json().errorCode], [503, '1503'], `GET /admin/users needs the database: 503 (${users.body})`)
})
