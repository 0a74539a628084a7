import type { Note } from '../api/note-schema.js'
import type { SqlDatabase } from '../db/sql-database.js'
import { ForbiddenError } from '../errors/api-errors.js'
import { userLockKey } from '../db/user-lock-key.js'
import { userIdKey, type UserId } from '../users/user-id.js'

// EXAMPLE: the storage behind routes/notes/, to copy for a resource of your own. Every query is
// scoped by the user id from the session, so one user can never read or delete another's rows.
// The id is stored in its key form (userIdKey, a `text` column): a session of another user
// store (a UUID) keeps notes too, and `123` and `"123"`, one user, share theirs.
// Outages need no code here: the PostgreSQL SqlDatabase turns them into 503 "1503"
// (src/db/database-failure.ts), for every query and transaction.

// So that one account cannot fill the database.
export const MAX_NOTES_PER_USER = 500
export const NOTES_PER_LIST = 100
// notes.id is a PostgreSQL `integer`: a larger number names no note, and sent as a parameter it
// would be an error ("out of range"), not a miss.
const NOTE_ID_MAX = 2_147_483_647
// The first key of the per-user advisory lock: any constant other than the migration lock's.
const NOTE_CAP_LOCK_NAMESPACE = 7_301_989

interface NoteRow {
  id: number
  text: string
  created_at: Date
}

const NOTE_COLUMNS = 'id, text, created_at'

function toNote (row: NoteRow): Note {
  return { id: row.id, text: row.text, createdAt: row.created_at }
}

export class NoteRepository {
  constructor (private readonly db: SqlDatabase) {}

  // Newest first, at most NOTES_PER_LIST.
  async listForUser (userId: UserId): Promise<Note[]> {
    const rows = await this.db.query<NoteRow>(
      `SELECT ${NOTE_COLUMNS} FROM notes WHERE user_id = $1 ORDER BY id DESC LIMIT $2`, [userIdKey(userId), NOTES_PER_LIST]
    )
    return rows.map(toNote)
  }

  // 403 "1403" when the user already keeps MAX_NOTES_PER_USER notes.
  async create (userId: UserId, text: string): Promise<Note> {
    const row = await this.db.transaction(async (tx) => {
      // One user's inserts take turns: two at once must not both see room for the last note.
      await tx.query('SELECT pg_advisory_xact_lock($1, $2)', [NOTE_CAP_LOCK_NAMESPACE, userLockKey(userId)])
      const [inserted] = await tx.query<NoteRow>(
        `INSERT INTO notes (user_id, text) SELECT $1::text, $2::text
          WHERE (SELECT count(*) FROM notes WHERE user_id = $1) < $3 RETURNING ${NOTE_COLUMNS}`,
        [userIdKey(userId), text, MAX_NOTES_PER_USER]
      )
      return inserted
    })
    if (row === undefined) throw new ForbiddenError(`A user can keep at most ${MAX_NOTES_PER_USER} notes`)
    return toNote(row)
  }

  // False when this user has no note with this id; another user's note is "not found" too.
  async deleteForUser (userId: UserId, noteId: number): Promise<boolean> {
    if (noteId > NOTE_ID_MAX) return false
    const rows = await this.db.query<{ id: number }>(
      'DELETE FROM notes WHERE id = $1 AND user_id = $2 RETURNING id', [noteId, userIdKey(userId)]
    )
    return rows.length > 0
  }
}
