import t from 'tap'
import { hashPassword, verifyPassword } from '../../src/passwords/password-hasher.js'
import { buildTestApp } from '../helpers/build-app.js'
import { logIn, TEST_PASSWORD, uniqueAccount } from '../helpers/sessions.js'

// OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane. Most tests' users share a cheaper hash
// (test/helpers/sessions.ts); the cost every real password gets is checked here.
const PRODUCTION_PARAMETERS = /^\$argon2id\$v=19\$m=19456,p=1,t=2\$/

t.test('hashPassword: argon2id at the production cost, salted, and verified', async (t) => {
  const first = await hashPassword(TEST_PASSWORD)
  const second = await hashPassword(TEST_PASSWORD)
  t.match(first, PRODUCTION_PARAMETERS)
  t.not(first, second, 'a fresh salt each time')
  t.equal(await verifyPassword(first, TEST_PASSWORD), true)
  t.equal(await verifyPassword(first, 'not the password'), false)
  t.equal(await verifyPassword('not a hash', TEST_PASSWORD), false, 'a malformed stored hash is a failed check')
})

t.test('registration and password change store production-cost hashes that log in', async (t) => {
  const { app } = await buildTestApp(t)
  const account = uniqueAccount()
  const registered = await app.inject({ method: 'POST', url: '/auth/register', payload: { account, password: TEST_PASSWORD } })
  t.equal(registered.statusCode, 201, registered.body)
  const user = await app.users.findByAccount(account)
  if (user === undefined) throw new Error('the registered user was not stored')
  t.match(user.passwordHash, PRODUCTION_PARAMETERS, 'registration')

  const session = await logIn(app, { userId: user.id, account, password: TEST_PASSWORD })
  const newPassword = 'a brand new password'
  const changed = await app.inject({
    method: 'POST', url: '/auth/password', headers: { token: session.token }, payload: { oldPassword: TEST_PASSWORD, newPassword }
  })
  t.equal(changed.statusCode, 200, changed.body)
  t.match((await app.users.findByAccount(account))?.passwordHash, PRODUCTION_PARAMETERS, 'password change')
  await logIn(app, { userId: user.id, account, password: newPassword })
})
