import fp from 'fastify-plugin'
import { migrate } from '../src/db/migrate.js'
import { openPglite } from '../src/db/pglite-database.js'
import { openPostgres } from '../src/db/postgres-database.js'
import type { SqlDatabase } from '../src/db/sql-database.js'
import { UserRepository } from '../src/users/user-repository.js'

declare module 'fastify' {
  interface FastifyInstance {
    db: SqlDatabase
    users: UserRepository
  }
}

// PostgreSQL when DATABASE_URL is set, otherwise the embedded PGlite under DATA_DIR.
// The session check reads Redis only; logins, registrations, password changes and routes that
// keep data of their own (the notes example) use the database.
export default fp(async (fastify) => {
  const { config } = fastify
  const db = config.DATABASE_URL === undefined
    ? await openPglite(config.DATA_DIR)
    : openPostgres(config.DATABASE_URL, (error) => fastify.log.warn({ err: error }, 'PostgreSQL connection error'))
  fastify.addHook('onClose', async () => await db.close())

  const applied = await migrate(db)
  if (applied.length > 0) fastify.log.info({ migrations: applied }, 'database migrated')

  fastify.decorate('db', db)
  fastify.decorate('users', new UserRepository(db))
}, { name: 'database', dependencies: ['config'] })
