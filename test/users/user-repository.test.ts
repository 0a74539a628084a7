import { execFile, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import t, { type Test } from 'tap'
import { DataDirInUseError } from '../../src/db/data-dir-lock.js'
import { migrate } from '../../src/db/migrate.js'
import { MIGRATIONS } from '../../src/db/migrations.js'
import { openPglite } from '../../src/db/pglite-database.js'
import { openPostgres } from '../../src/db/postgres-database.js'
import type { SqlDatabase } from '../../src/db/sql-database.js'
import { AccountTakenError, apiErrorCodeOf } from '../../src/errors/api-errors.js'
import { TotpRepository } from '../../src/second-factor/totp-repository.js'
import { UserRepository } from '../../src/users/user-repository.js'
import { createTestDatabase, POSTGRES_URL, type TestDatabase } from '../helpers/database.js'
import { uniqueAccount } from '../helpers/sessions.js'

const LOCK_FILE_NAME = 'pglite.lock'
// Beyond any id these tests create, and still a valid `integer`.
const UNKNOWN_USER_ID = 2_147_483_647
const PGLITE_MODULE = new URL('../../src/db/pglite-database.js', import.meta.url).href

// Opens a migrated database for one suite run; registers its own clean-up on `t`.
type MigratedDatabaseFactory = (t: Test) => Promise<SqlDatabase>

async function migrateFresh (t: Test, db: SqlDatabase): Promise<SqlDatabase> {
  t.same(await migrate(db), MIGRATIONS.map((migration) => migration.version), 'a fresh database gets every migration')
  return db
}

// One conformance suite: every SQL engine the server supports must behave the same here.
async function userRepositoryConformance (t: Test, openMigrated: MigratedDatabaseFactory): Promise<void> {
  const db = await openMigrated(t)
  t.teardown(async () => await db.close())
  const users = new UserRepository(db)

  t.test('create returns the new user: a plain user unless an admin is asked for', async (t) => {
    const account = uniqueAccount()
    const user = await users.create({ account, passwordHash: 'hash-user' })
    t.ok(Number.isSafeInteger(user.id) && user.id > 0, `a positive integer id (${user.id})`)
    t.same(user, { id: user.id, account, userType: 'user', passwordHash: 'hash-user' }, 'a plain user by default')

    const admin = await users.create({ account: uniqueAccount(), passwordHash: 'hash-admin', userType: 'admin' })
    t.equal(admin.userType, 'admin', 'an admin when asked for')
    t.not(admin.id, user.id, 'each user gets its own id')

    t.same(await users.findById(user.id), user, 'the stored user reads back the same')
    t.equal((await users.findById(admin.id))?.userType, 'admin', 'the admin type is stored, not only echoed')
  })

  t.test('accounts are trimmed and lower-cased on create and on lookup', async (t) => {
    const local = `Mixed.Case-${randomBytes(4).toString('hex')}`
    const normalized = `${local.toLowerCase()}@example.com`
    const user = await users.create({ account: `  ${local}@Example.COM \t`, passwordHash: 'hash' })
    t.equal(user.account, normalized, 'stored normalised')
    t.equal((await users.findByAccount(normalized))?.id, user.id, 'found by the normalised form')
    t.equal((await users.findByAccount(` ${normalized.toUpperCase()}  `))?.id, user.id, 'found by another case and padding')
  })

  t.test('an account taken after normalisation throws AccountTakenError (1409)', async (t) => {
    const account = uniqueAccount()
    const first = await users.create({ account, passwordHash: 'hash-first' })
    const error = await users.create({ account: ` ${account.toUpperCase()} `, passwordHash: 'hash-second' })
      .then(() => undefined, (caught: unknown) => caught)
    t.ok(error instanceof AccountTakenError, `AccountTakenError, got ${String(error)}`)
    t.equal(apiErrorCodeOf(error as { code?: unknown }), '1409', 'errorCode 1409')
    t.same(await users.findByAccount(account), first, 'the first owner keeps the account and its hash')
  })

  t.test('an unknown account or id is undefined', async (t) => {
    t.equal(await users.findByAccount(uniqueAccount()), undefined, 'unknown account')
    t.equal(await users.findById(UNKNOWN_USER_ID), undefined, 'unknown id')
  })

  t.test('findForLogin reads the user with whether a second factor is on', async (t) => {
    const user = await users.create({ account: uniqueAccount(), passwordHash: 'hash-login' })
    t.same(await users.findForLogin(user.id), { ...user, secondFactor: false }, 'no factor yet')
    t.equal(await new TotpRepository(db).enable(user.id, 'sealed', 1, ['digest']), true, 'a factor is enabled')
    t.same(await users.findForLogin(user.id), { ...user, secondFactor: true }, 'the factor is seen with the row')
    t.equal(await users.findForLogin(UNKNOWN_USER_ID), undefined, 'unknown id')
  })

  t.test('updatePasswordHash changes only that user\'s hash', async (t) => {
    const user = await users.create({ account: uniqueAccount(), passwordHash: 'hash-old' })
    const bystander = await users.create({ account: uniqueAccount(), passwordHash: 'hash-bystander' })
    t.equal(await users.updatePasswordHash(user.id, 'hash-new'), true, 'true for a known id')
    t.equal((await users.findById(user.id))?.passwordHash, 'hash-new', 'the new hash is stored')
    t.equal((await users.findById(bystander.id))?.passwordHash, 'hash-bystander', 'other users are untouched')
    t.equal(await users.updatePasswordHash(UNKNOWN_USER_ID, 'hash-x'), false, 'false for an unknown id')
  })

  t.test('migrate on a migrated database applies nothing', async (t) => {
    t.same(await migrate(db), [], 'second run')
    t.same(await migrate(db), [], 'third run')
    const rows = await db.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')
    t.same(rows.map((row) => row.version), MIGRATIONS.map((migration) => migration.version), 'each version recorded exactly once')
  })
}

const postgres: TestDatabase | Error = await createTestDatabase(POSTGRES_URL)
  .catch((error: unknown) => error instanceof Error ? error : new Error(String(error)))

t.test('UserRepository on PostgreSQL', {
  skip: postgres instanceof Error ? `PostgreSQL at ${POSTGRES_URL} is unreachable: ${postgres.message}` : false
}, async (t) => {
  if (postgres instanceof Error || postgres.url === undefined) throw new Error('unreachable: the test is skipped')
  const { url, drop } = postgres
  await userRepositoryConformance(t, async (t) => {
    t.teardown(drop)
    return await migrateFresh(t, openPostgres(url, () => undefined))
  })
})

const dataDir = mkdtempSync(join(tmpdir(), 'auth-pglite-'))
t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
const lockPath = join(dataDir, LOCK_FILE_NAME)

t.test('UserRepository on PGlite', async (t) => {
  await userRepositoryConformance(t, async (t) => await migrateFresh(t, await openPglite(dataDir)))
})

interface OpenAttempt {
  opened?: boolean
  name?: string
  message?: string
  dataDir?: string
  pid?: number
}

// Another process trying to open the same data dir, as the admin CLI would while the server runs.
async function openFromAnotherProcess (dir: string): Promise<OpenAttempt> {
  const script = `
    const { openPglite } = await import(${JSON.stringify(PGLITE_MODULE)})
    try {
      const db = await openPglite(process.argv[1])
      await db.close()
      console.log(JSON.stringify({ opened: true }))
    } catch (error) {
      console.log(JSON.stringify({ name: error.name, message: error.message, dataDir: error.dataDir, pid: error.pid }))
    }`
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script, dir], { timeout: 20_000 })
  return JSON.parse(stdout) as OpenAttempt
}

t.test('the data-dir lock lets one opener at a time use the embedded database', async (t) => {
  const first = await openPglite(dataDir)
  let firstClosed = false
  t.teardown(async () => { if (!firstClosed) await first.close() })
  t.equal(readFileSync(lockPath, 'utf8'), String(process.pid), 'the lock file names the holder')

  const fromChild = await openFromAnotherProcess(dataDir)
  t.match(fromChild, { name: 'DataDirInUseError', dataDir, pid: process.pid }, 'another process is refused')
  t.match(fromChild.message, dataDir, 'the message names the data dir')
  t.match(fromChild.message, /in use/, 'the message says it is in use')

  const second = await openPglite(dataDir).then(async (db) => {
    await db.close()
    return 'it opened'
  }, (error: unknown) => error)
  t.ok(second instanceof DataDirInUseError, `a second open in this process is refused too (${String(second)})`)
  if (second instanceof DataDirInUseError) {
    t.match(second.message, dataDir, 'the message names the data dir')
    t.match(second.message, /in use/, 'the message says it is in use')
  }

  t.same(await first.query('SELECT 1 AS one'), [{ one: 1 }], 'the first opener still works')
  await first.close()
  firstClosed = true
  t.notOk(existsSync(lockPath), 'close releases the lock')

  const reopened = await openPglite(dataDir)
  t.same(await migrate(reopened), [], 'after close it opens again, with its data')
  await reopened.close()
})

t.test('a lock left by a process that died is taken over', async (t) => {
  // The pid of a process that has certainly exited.
  const deadPid = spawnSync(process.execPath, ['-e', '']).pid
  t.ok(deadPid !== undefined && deadPid > 0, 'a dead pid to leave in the lock')
  writeFileSync(lockPath, String(deadPid))

  const db = await openPglite(dataDir)
  t.equal(readFileSync(lockPath, 'utf8'), String(process.pid), 'the lock now names this process')
  t.same(await migrate(db), [], 'the database is the same one')
  await db.close()
  t.notOk(existsSync(lockPath), 'and close releases it')
})
