import t from 'tap'
import { migrate } from '../../src/db/migrate.js'
import { openPostgres } from '../../src/db/postgres-database.js'
import { UsersAccountDirectory } from '../../src/users/account-directory.js'
import { UserRepository } from '../../src/users/user-repository.js'
import { createTestDatabase, POSTGRES_URL } from '../helpers/database.js'
import { uniqueAccount } from '../helpers/sessions.js'

// The accounts a session leaves out of Redis, read from the users table and kept in memory.

const UNKNOWN_USER_ID = 2_147_483_647
const database = await createTestDatabase(POSTGRES_URL).catch((error: unknown) => error instanceof Error ? error : new Error(String(error)))

t.test('UsersAccountDirectory on PostgreSQL', {
  skip: database instanceof Error ? `PostgreSQL at ${POSTGRES_URL} is unreachable: ${database.message}` : false
}, async (t) => {
  if (database instanceof Error || database.url === undefined) throw new Error('unreachable: the test is skipped')
  t.teardown(database.drop)
  const db = openPostgres(database.url, () => undefined)
  t.teardown(async () => await db.close())
  await migrate(db)
  const users = new UserRepository(db)
  const [first, second, third] = await Promise.all([0, 1, 2].map(async () => await users.create({ account: uniqueAccount(), passwordHash: 'not a hash' })))
  if (first === undefined || second === undefined || third === undefined) throw new Error('users not created')

  t.test('an account is known once read or told, and not before', async (t) => {
    const directory = new UsersAccountDirectory(users, 10)
    t.equal(directory.known(first.id), undefined, 'nothing read yet: no query, no answer')
    t.equal(await directory.load(first.id), first.account, 'read from the users table')
    t.equal(directory.known(first.id), first.account, 'and kept')
    directory.remember(second.id, second.account)
    t.equal(directory.known(second.id), second.account, 'told by a login')
  })

  t.test('no such user, or a user id of another store: no account', async (t) => {
    const directory = new UsersAccountDirectory(users, 10)
    t.equal(await directory.load(UNKNOWN_USER_ID), '')
    t.equal(await directory.load('an-id-of-another-user-store'), '')
    t.equal(directory.known(UNKNOWN_USER_ID), '', 'kept too, so that its sessions do not query the table on every check')
  })

  t.test('beyond maxEntries the account read longest ago is dropped', async (t) => {
    const directory = new UsersAccountDirectory(users, 2)
    directory.remember(first.id, first.account)
    directory.remember(second.id, second.account)
    directory.remember(first.id, first.account)
    await directory.load(third.id)
    t.equal(directory.known(second.id), undefined, 'the oldest is gone')
    t.same([directory.known(first.id), directory.known(third.id)], [first.account, third.account], 'the two most recent stay')
    t.equal(await directory.load(second.id), second.account, 'and the dropped one is read again when needed')
  })

  t.test('a database that cannot be reached is an error, not "no account"', async (t) => {
    const unreachable = openPostgres('postgres://postgres@127.0.0.1:1/none', () => undefined)
    t.teardown(async () => await unreachable.close())
    const directory = new UsersAccountDirectory(new UserRepository(unreachable), 10)
    await t.rejects(directory.load(first.id))
    t.equal(directory.known(first.id), undefined, 'and nothing is kept: the next check reads again')
  })
})
