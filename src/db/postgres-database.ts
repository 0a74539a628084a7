import pg from 'pg'
import { callDatabase } from './database-failure.js'
import type { SqlDatabase, SqlQueryable } from './sql-database.js'

// A database that does not answer must turn into a 503 quickly, not hang a login.
const CONNECT_TIMEOUT_MS = 2000
const QUERY_TIMEOUT_MS = 5000

function queryable (client: pg.Pool | pg.PoolClient): SqlQueryable {
  return {
    query: async <Row>(sql: string, params: unknown[] = []) =>
      await callDatabase(async () => (await client.query(sql, params)).rows as Row[])
  }
}

export function openPostgres (connectionString: string, onIdleError: (error: Error) => void): SqlDatabase {
  const pool = new pg.Pool({
    connectionString,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    query_timeout: QUERY_TIMEOUT_MS
  })
  // An idle connection dropped by the server emits 'error' on the pool; unhandled, it would kill the process.
  pool.on('error', onIdleError)
  return {
    ...queryable(pool),
    async transaction (work) {
      const client = await callDatabase(async () => await pool.connect())
      try {
        // Every step, not only the work: a connection lost at COMMIT is an outage (503) too.
        await callDatabase(async () => await client.query('BEGIN'))
        const result = await work(queryable(client))
        await callDatabase(async () => await client.query('COMMIT'))
        return result
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined)
        throw error
      } finally {
        client.release()
      }
    },
    close: async () => await pool.end()
  }
}
