import { randomBytes, randomInt } from 'node:crypto'
import { Redis } from 'ioredis'
import t from 'tap'
import { refreshPolicyOf } from '../../src/config/session-policies.js'
import { migrate } from '../../src/db/migrate.js'
import { MIGRATIONS } from '../../src/db/migrations.js'
import { openPostgres } from '../../src/db/postgres-database.js'
import { NoteRepository } from '../../src/notes/note-repository.js'
import { PostgresRefreshTokenStore } from '../../src/refresh/postgres-refresh-token-store.js'
import { RefreshService } from '../../src/refresh/refresh-service.js'
import { digestOf, newRefreshToken, parseRefreshToken } from '../../src/refresh/refresh-token.js'
import { RedisSessionStore } from '../../src/sessions/redis-session-store.js'
import { newSessionId } from '../../src/tokens/session-claims.js'
import { createTestDatabase, POSTGRES_URL, reachablePostgresUrl } from '../helpers/database.js'
import { sharedRedisDatabaseUrl } from '../helpers/redis-server.js'
import { strategySettings } from '../helpers/strategy-settings.js'

// Migrations 4 and 5 turn refresh_tokens.user_id and notes.user_id into text, for user ids of
// any user store. Rows written before them, of integer ids, keep working: a refresh token of an
// integer user still refreshes to claims with a number (its session brought back from the row),
// and the user's notes are still theirs.

const postgresUrl = await reachablePostgresUrl()
const HOUR_MS = 3_600_000
const BEFORE_STRING_IDS = 3

t.test('rows of integer user ids written before the migration', {
  skip: postgresUrl === undefined ? `no PostgreSQL answers at ${POSTGRES_URL}` : false
}, async (t) => {
  const database = await createTestDatabase(postgresUrl)
  if (database.url === undefined) throw new Error('no schema was created')
  const db = openPostgres(database.url, () => undefined)
  const redis = new Redis(await sharedRedisDatabaseUrl())
  t.teardown(async () => {
    redis.disconnect()
    await db.close()
    await database.drop()
  })
  t.same(await migrate(db, MIGRATIONS.filter((migration) => migration.version <= BEFORE_STRING_IDS)), [1, 2, 3], 'the schema before string ids')

  const userId = randomInt(1, 2_147_483_647)
  const family = newSessionId()
  const refreshToken = newRefreshToken(userId, family)
  const loginAt = Date.now() - HOUR_MS
  await db.query(
    `INSERT INTO refresh_tokens (digest, family, user_id, user_type, account, device_id, user_agent, ip, login_at, issued_at, expires_at)
     VALUES ($1, $2, $3, 'user', 'old@example.com', 'phone', 'Firefox 133 on Windows', '10.0.0.1', $4, $4, $5)`,
    [digestOf(refreshToken), family, userId, loginAt, loginAt + 2 * HOUR_MS])
  await db.query('INSERT INTO notes (user_id, text) VALUES ($1, $2)', [userId, 'written before'])

  t.same(await migrate(db), [4, 5, 6, 7], 'the migrations after it apply (6: the session rules of refresh tokens, null for these rows; 7: the second factor)')
  // The second factor's tables (migration 7) belong to this server's users: integer ids, as before.
  const columns = await db.query<{ table_name: string, data_type: string }>(
    "SELECT table_name, data_type FROM information_schema.columns WHERE column_name = 'user_id' AND table_schema = current_schema() AND table_name IN ('notes', 'refresh_tokens') ORDER BY table_name")
  t.same(columns, [{ table_name: 'notes', data_type: 'text' }, { table_name: 'refresh_tokens', data_type: 'text' }], 'user_id is text in both tables')

  // Redis has never seen the session: the refresh brings it back from the row.
  const keyPrefix = `migration-${randomBytes(4).toString('hex')}:`
  const sessions = new RedisSessionStore(redis, { keyPrefix, fallbackTombstoneTtlMs: HOUR_MS })
  const refresh = new RefreshService(new PostgresRefreshTokenStore(db, sessions), randomBytes(32), refreshPolicyOf(strategySettings({
    AUTH_STRATEGY: 'refresh', REFRESH_STORE: 'postgres', REFRESH_TOKEN_TTL: 7200
  })))
  const presented = parseRefreshToken(refreshToken)
  if (presented === undefined) throw new Error('unparsable refresh token')
  const attempt = await refresh.refresh(presented)
  t.equal(attempt.status, 'refreshed', JSON.stringify(attempt))
  if (attempt.status === 'refreshed') t.strictSame(attempt.claims.userId, userId, 'the old row refreshes to claims with the number')
  const resumed = await sessions.find(userId, family)
  t.strictSame([resumed?.userId, resumed?.deviceId], [userId, 'phone'], 'its session is back in Redis, of the number')
  const [row] = await db.query<{ user_id: string, user_id_is_string: boolean }>(
    'SELECT user_id, user_id_is_string FROM refresh_tokens WHERE family = $1 AND rotated_at IS NULL', [family])
  t.same(row, { user_id: String(userId), user_id_is_string: false }, 'the successor row: the key form, a number')

  const notes = new NoteRepository(db)
  t.same((await notes.listForUser(userId)).map((note) => note.text), ['written before'], 'the old note is still the user\'s')
  t.same((await notes.listForUser(String(userId))).map((note) => note.text), ['written before'], 'under "123" too: one user')
  t.same(await notes.listForUser(`0${userId}`), [], 'not another user\'s')
})
