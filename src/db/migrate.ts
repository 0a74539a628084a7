import { MIGRATIONS, type Migration } from './migrations.js'
import type { SqlDatabase } from './sql-database.js'

// Any constant works; it only has to be the same in every instance of this server.
const MIGRATION_LOCK_ID = 7_301_988

// The table of the versions applied, with when.
export const SCHEMA_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version integer PRIMARY KEY,
  name text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`

// Applies the migrations this database has not seen, each in its own transaction. With
// PostgreSQL several instances may start at once: the advisory lock lets one of them migrate.
export async function migrate (db: SqlDatabase, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  // Under the lock too: two concurrent CREATE TABLE IF NOT EXISTS can both find no table, and
  // the second then fails on the catalog's unique index instead of finding the first one's.
  const seenBefore = await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_ID])
    await tx.query(SCHEMA_MIGRATIONS_TABLE)
    return new Set((await tx.query<{ version: number }>('SELECT version FROM schema_migrations')).map((row) => row.version))
  })
  const applied: number[] = []
  // A version applied stays applied: only the others are looked at again under the lock, so a
  // start on an up-to-date database is one transaction, not one per migration.
  for (const migration of migrations.filter(({ version }) => !seenBefore.has(version))) {
    const ran = await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_ID])
      const seen = await tx.query('SELECT 1 FROM schema_migrations WHERE version = $1', [migration.version])
      if (seen.length > 0) return false
      for (const statement of typeof migration.sql === 'string' ? [migration.sql] : migration.sql) await tx.query(statement)
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name])
      return true
    })
    if (ran) applied.push(migration.version)
  }
  return applied
}
