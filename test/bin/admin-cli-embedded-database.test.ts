import { existsSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { buildTestApp } from '../helpers/build-app.js'
import { TEST_PASSWORD } from '../helpers/sessions.js'
import { exitStatus, QUICK_FAILURE_MS, runCli, tempDir } from './run-cli.js'

// A file of its own: two PGlite opens and a CLI process take most of a minute on a busy machine,
// and the other CLI tests need not wait behind them.
t.test('create-user makes an admin in the embedded database, refused while the server holds it', async (t) => {
  const dataDir = tempDir(t)
  const created = await runCli(['create-user', '--account', '  Chief@Example.COM ', '--admin'], { DATA_DIR: dataDir }, `${TEST_PASSWORD}\n`)
  t.equal(created.code, 0, exitStatus(created))
  const userId = Number(/with user id (\d+)/.exec(created.stdout)?.[1])
  t.ok(Number.isSafeInteger(userId) && userId > 0, `prints the user id: ${created.stdout}`)
  t.match(created.stdout, /created admin chief@example\.com/, 'names the normalised account and its type')
  t.notOk(created.stdout.includes(TEST_PASSWORD) || created.stderr.includes(TEST_PASSWORD), 'never echoes the password')
  t.notOk(existsSync(join(dataDir, 'pglite.lock')), 'the CLI released the data dir when it exited')

  // The CLI has exited: a server may now open the same embedded database.
  const { app } = await buildTestApp(t, { databaseUrl: '', env: { DATA_DIR: dataDir } })
  const stored = await app.users.findById(userId)
  t.match(stored, { id: userId, account: 'chief@example.com', userType: 'admin' }, 'stored as an admin')

  const login = await app.inject({ method: 'POST', url: '/auth/login', payload: { account: 'chief@example.com', password: TEST_PASSWORD } })
  t.equal(login.statusCode, 200, login.body)
  t.match(login.json(), { userId, userType: 'admin' }, 'logs in with the piped password')

  // The app opened the database with openPglite in this process, so this pid holds the lock.
  const refused = await runCli(['create-user', '--account', 'second@example.com'], { DATA_DIR: dataDir }, `${TEST_PASSWORD}\n`)
  t.equal(refused.signal, null, 'exits by itself instead of hanging')
  t.equal(refused.code, 1, exitStatus(refused))
  t.match(refused.stderr, /embedded database .*is in use/, 'says the embedded database is in use')
  t.match(refused.stderr, dataDir, 'names the data dir')
  t.ok(refused.elapsedMs < QUICK_FAILURE_MS, `refused quickly (${refused.elapsedMs} ms)`)
  t.equal(await app.users.findByAccount('second@example.com'), undefined, 'no user was created')
})
