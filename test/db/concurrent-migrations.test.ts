import t from 'tap'
import { migrate } from '../../src/db/migrate.js'
import { MIGRATIONS } from '../../src/db/migrations.js'
import { openPostgres } from '../../src/db/postgres-database.js'
import { createTestDatabase, POSTGRES_URL, reachablePostgresUrl } from '../helpers/database.js'

// Instances of a deployment start together: each migrates the database it shares with the others.
const INSTANCES = 3
// The race is between two CREATEs a few milliseconds apart; a few rounds make it happen.
const ROUNDS = 10

const postgresUrl = await reachablePostgresUrl()

t.test('instances migrating a fresh PostgreSQL at once all start, and each migration runs once', {
  skip: postgresUrl === undefined ? `needs PostgreSQL at ${POSTGRES_URL}` : false
}, async (t) => {
  for (let round = 1; round <= ROUNDS; round++) {
    const database = await createTestDatabase(postgresUrl)
    const url = database.url ?? POSTGRES_URL
    const instances = Array.from({ length: INSTANCES }, () => openPostgres(url, () => undefined))
    try {
      const outcomes = await Promise.allSettled(instances.map(async (db) => await migrate(db)))
      const failures = outcomes.flatMap((outcome) => outcome.status === 'rejected' ? [String(outcome.reason)] : [])
      t.same(failures, [], `round ${round}: every instance migrated`)
      const applied = outcomes.flatMap((outcome) => outcome.status === 'fulfilled' ? outcome.value : []).sort((x, y) => x - y)
      t.same(applied, MIGRATIONS.map((migration) => migration.version), `round ${round}: each migration was applied by one instance`)
    } finally {
      await Promise.all(instances.map(async (db) => await db.close()))
      await database.drop()
    }
  }
})
