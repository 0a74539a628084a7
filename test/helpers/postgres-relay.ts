import type { TestContext } from './build-app.js'
import { createTestDatabase, POSTGRES_URL } from './database.js'
import { startRelay } from './tcp-relay.js'

const target = new URL(POSTGRES_URL)

// Why a test of a PostgreSQL outage cannot run here, if it cannot: false when it can.
export const postgresRelaySkip = await createTestDatabase(target.toString())
  .then(async (database) => { await database.drop(); return false as const })
  .catch((error: Error) => `no PostgreSQL at ${target.host}: ${error.message}`)

export interface RelayedDatabase {
  // A schema of the test's own, reached through the relay.
  url: string
  // Drops the relay's connections and refuses new ones: an outage.
  cut: () => Promise<void>
}

// The schema is made and dropped directly; only the app goes through the relay.
export async function relayedTestDatabase (t: TestContext): Promise<RelayedDatabase> {
  const database = await createTestDatabase(target.toString())
  t.teardown(async () => await database.drop())
  const relay = await startRelay(target)
  const viaRelay = new URL(database.url ?? '')
  viaRelay.hostname = '127.0.0.1'
  viaRelay.port = String(relay.port)
  return { url: viaRelay.toString(), cut: relay.cut }
}
