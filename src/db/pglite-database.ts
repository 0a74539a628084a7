import type { PGlite, Transaction } from '@electric-sql/pglite'
import { join } from 'node:path'
import { lockDataDir } from './data-dir-lock.js'
import { createPglite } from './pglite-options.js'
import type { SqlDatabase, SqlQueryable } from './sql-database.js'

const PGLITE_SUBDIR = 'pglite'

function queryable (db: PGlite | Transaction): SqlQueryable {
  return {
    query: async <Row>(sql: string, params: unknown[] = []) => (await db.query<Row>(sql, params)).rows
  }
}

// The embedded database used when no DATABASE_URL is configured; its files live under DATA_DIR.
export async function openPglite (dataDir: string): Promise<SqlDatabase> {
  const lock = lockDataDir(dataDir)
  let db: PGlite
  try {
    db = await createPglite(join(dataDir, PGLITE_SUBDIR))
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
