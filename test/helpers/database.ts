import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { SCHEMA_MIGRATIONS_TABLE } from '../../src/db/migrate.js'
import { MIGRATIONS } from '../../src/db/migrations.js'

// Tests that need PostgreSQL itself use DATABASE_URL, else the conventional local server.
export const POSTGRES_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const PROBE_TIMEOUT_MS = 1000

let reachable: Promise<string | undefined> | undefined

// POSTGRES_URL when a server answers there: a fresh PGlite takes seconds to open, PostgreSQL milliseconds.
// Asked once per process (most apps a test builds ask), as no test stops that server.
export async function reachablePostgresUrl (): Promise<string | undefined> {
  reachable ??= probePostgres()
  return await reachable
}

async function probePostgres (): Promise<string | undefined> {
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

// The schemas of a process' tests are made and dropped over connections kept between them (two at
// most per server): a new connection costs PostgreSQL a process start, and a test process makes
// and drops dozens of schemas. They do not keep the process alive (allowExitOnIdle).
const schemaPools = new Map<string, pg.Pool>()

function schemaPool (baseUrl: string): pg.Pool {
  let pool = schemaPools.get(baseUrl)
  if (pool === undefined) {
    pool = new pg.Pool({ connectionString: baseUrl, max: 2, allowExitOnIdle: true })
    // An idle connection that breaks is replaced at the next query; the error itself is no test's.
    pool.on('error', () => undefined)
    schemaPools.set(baseUrl, pool)
  }
  return pool
}

export interface TestDatabase {
  // Undefined when no DATABASE_URL is given: the app then uses PGlite under its DATA_DIR.
  url?: string
  drop: () => Promise<void>
}

export interface TestDatabaseOptions {
  // The schema comes with every migration applied (recorded in schema_migrations, as migrate()
  // records them), in one round trip: an app's start then finds nothing to do, where the eight
  // migrations' transactions took some forty round trips to PostgreSQL, a second and more on a busy
  // machine. Tests of the migrations themselves take an empty schema.
  migrated?: boolean
}

// Every migration's statements and its record, as one script for a simple query.
function migrationScript (): string {
  const statements = MIGRATIONS.flatMap((migration) => typeof migration.sql === 'string' ? [migration.sql] : migration.sql)
  const records = MIGRATIONS.map(({ version, name }) => `(${version}, '${name.replaceAll("'", "''")}')`)
  return [SCHEMA_MIGRATIONS_TABLE, ...statements, `INSERT INTO schema_migrations (version, name) VALUES ${records.join(', ')}`].join(';\n')
}

// With DATABASE_URL, each test gets a schema of its own (through search_path), so test files
// can run in parallel against one PostgreSQL without seeing each other's users.
export async function createTestDatabase (baseUrl = process.env.DATABASE_URL, options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  if (baseUrl === undefined || baseUrl === '') return { drop: async () => undefined }
  const schema = `test_${randomBytes(6).toString('hex')}`
  const pool = schemaPool(baseUrl)
  await pool.query(options.migrated === true
    ? `BEGIN; CREATE SCHEMA ${schema}; SET LOCAL search_path TO ${schema};\n${migrationScript()}; COMMIT`
    : `CREATE SCHEMA ${schema}`)
  const url = new URL(baseUrl)
  url.searchParams.set('options', `-c search_path=${schema}`)
  return {
    url: url.toString(),
    drop: async () => { await pool.query(`DROP SCHEMA ${schema} CASCADE`) }
  }
}
