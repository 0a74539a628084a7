import { randomBytes } from 'node:crypto'
import pg from 'pg'

// Tests that need PostgreSQL itself use DATABASE_URL, else the conventional local server.
export const POSTGRES_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const PROBE_TIMEOUT_MS = 1000

// POSTGRES_URL when a server answers there: a fresh PGlite takes seconds to open, PostgreSQL milliseconds.
export async function reachablePostgresUrl (): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: PROBE_TIMEOUT_MS })
  try {
    await client.connect()
    return POSTGRES_URL
  } catch {
    return undefined
  } finally {
    await client.end().catch(() => undefined)
  }
}

export interface TestDatabase {
  // Undefined when no DATABASE_URL is given: the app then uses PGlite under its DATA_DIR.
  url?: string
  drop: () => Promise<void>
}

// With DATABASE_URL, each test gets a schema of its own (through search_path), so test files
// can run in parallel against one PostgreSQL without seeing each other's users.
export async function createTestDatabase (baseUrl = process.env.DATABASE_URL): Promise<TestDatabase> {
  if (baseUrl === undefined || baseUrl === '') return { drop: async () => undefined }
  const schema = `test_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: baseUrl })
  await admin.connect()
  await admin.query(`CREATE SCHEMA ${schema}`)
  await admin.end()
  const url = new URL(baseUrl)
  url.searchParams.set('options', `-c search_path=${schema}`)
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: baseUrl })
      await client.connect()
      await client.query(`DROP SCHEMA ${schema} CASCADE`)
      await client.end()
    }
  }
}
