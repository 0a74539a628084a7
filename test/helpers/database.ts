import { randomBytes } from 'node:crypto'
import pg from 'pg'

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
