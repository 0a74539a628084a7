import type { PGlite, Transaction } from '@electric-sql/pglite'
import { execFile } from 'node:child_process'
import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { lockDataDir } from './data-dir-lock.js'
import { createPglite } from './pglite-options.js'
import type { SqlDatabase, SqlQueryable } from './sql-database.js'

const PGLITE_SUBDIR = 'pglite'
// PostgreSQL writes it into every data directory it creates.
const PG_VERSION_FILE = 'PG_VERSION'
const INITDB_SCRIPT = fileURLToPath(new URL('./pglite-initdb.js', import.meta.url))
const INITDB_TIME_LIMIT_MS = 120_000

function queryable (db: PGlite | Transaction): SqlQueryable {
  return {
    query: async <Row>(sql: string, params: unknown[] = []) => (await db.query<Row>(sql, params)).rows
  }
}

function isEmptyOrMissing (dir: string): boolean {
  return !existsSync(dir) || readdirSync(dir).length === 0
}

// PGlite creates a database with two more WASM instances (initdb and a second PostgreSQL) in
// the calling process, and the ~700 MB they take stays with it: V8 collects them late, and of
// what it frees the C allocator keeps a good part. A child process gives all of it back to the
// OS when it exits. It works in a sibling directory that is renamed into place once complete,
// so a first start cut short leaves no half-made database behind.
async function createDatabaseOnce (pgliteDir: string): Promise<void> {
  if (existsSync(join(pgliteDir, PG_VERSION_FILE))) return
  if (!isEmptyOrMissing(pgliteDir)) {
    throw new Error(`${pgliteDir} holds files but no database (no ${PG_VERSION_FILE}): move it away to start with a new one`)
  }
  const partial = `${pgliteDir}.partial`
  rmSync(partial, { recursive: true, force: true })
  try {
    await promisify(execFile)(process.execPath, [INITDB_SCRIPT, partial], { timeout: INITDB_TIME_LIMIT_MS })
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim() ?? ''
    throw new Error(`could not create the embedded database in ${pgliteDir}: ${stderr === '' ? String(error) : stderr}`, { cause: error })
  }
  renameSync(partial, pgliteDir)
}

// The embedded database used when no DATABASE_URL is configured; its files live under DATA_DIR.
export async function openPglite (dataDir: string): Promise<SqlDatabase> {
  const lock = lockDataDir(dataDir)
  let db: PGlite
  try {
    const pgliteDir = join(dataDir, PGLITE_SUBDIR)
    await createDatabaseOnce(pgliteDir)
    db = await createPglite(pgliteDir)
  } catch (error) {
    lock.release()
    throw error
  }
  return {
    ...queryable(db),
    transaction: async (work) => await db.transaction(async (tx) => await work(queryable(tx))),
    async close () {
      await db.close()
      lock.release()
    }
  }
}
