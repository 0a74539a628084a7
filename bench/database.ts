import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTestDatabase, reachablePostgresUrl } from '../test/helpers/database.js'
import { addCleanup } from './cleanup.js'

// Where our servers keep users. PostgreSQL (a fresh schema, dropped at the end) when it
// answers, so every instance shares the users; otherwise a PGlite directory per instance
// (PGlite allows one process), and the accounts are registered on each instance.

export interface BenchDatabase {
  description: string
  shared: boolean
  // DATABASE_URL or DATA_DIR for one more server instance.
  envForInstance: () => Record<string, string>
}

export async function openBenchDatabase (): Promise<BenchDatabase> {
  const postgresUrl = await reachablePostgresUrl()
  if (postgresUrl !== undefined) {
    const database = await createTestDatabase(postgresUrl)
    addCleanup(database.drop)
    const url = database.url ?? postgresUrl
    return { description: `PostgreSQL (${new URL(postgresUrl).host}, a fresh schema)`, shared: true, envForInstance: () => ({ DATABASE_URL: url }) }
  }
  return { ...pgliteBenchDatabase(), description: 'PGlite (no PostgreSQL answered), one data directory per instance' }
}

// The default set-up: no DATABASE_URL, a new DATA_DIR for each instance.
export function pgliteBenchDatabase (): BenchDatabase {
  return {
    description: 'PGlite, one data directory per instance',
    shared: false,
    envForInstance: () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'auth-bench-data-'))
      addCleanup(() => rmSync(dataDir, { recursive: true, force: true }))
      return { DATA_DIR: dataDir }
    }
  }
}
