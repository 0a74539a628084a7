// Versioned schema changes, applied in order at start. Never edit a released migration: add one.
export interface Migration {
  version: number
  name: string
  // Several statements go in a list: PGlite's parameterised queries take one at a time.
  sql: string | readonly string[]
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'create users',
    sql: `
      CREATE TABLE users (
        id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        account text NOT NULL UNIQUE,
        password_hash text NOT NULL,
        user_type text NOT NULL DEFAULT 'user' CHECK (user_type IN ('user', 'admin')),
        created_at timestamptz NOT NULL DEFAULT now(),
        password_changed_at timestamptz NOT NULL DEFAULT now()
      )
    `
  },
  {
    version: 2,
    name: 'create refresh_tokens',
    // REFRESH_STORE=postgres. Times are ms since the epoch, as in Redis. Rotated tokens stay
    // until they expire, so that a reuse of any of them is recognised. Each row carries what
    // its session needs to be re-created after Redis lost it.
    sql: [
      `CREATE TABLE refresh_tokens (
        digest text PRIMARY KEY,
        family text NOT NULL,
        user_id integer NOT NULL,
        user_type text NOT NULL,
        account text NOT NULL,
        device_id text,
        user_agent text,
        ip text NOT NULL,
        login_at bigint NOT NULL,
        issued_at bigint NOT NULL,
        expires_at bigint NOT NULL,
        rotated_at bigint,
        revoked_at bigint,
        revoked_reason text
      )`,
      'CREATE INDEX refresh_tokens_family ON refresh_tokens (family)',
      'CREATE INDEX refresh_tokens_live_by_user ON refresh_tokens (user_id) WHERE revoked_at IS NULL',
      'CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at)'
    ]
  },
  {
    version: 3,
    name: 'create notes',
    // The example resource (routes/notes/). Created whatever EXAMPLE_ROUTES says: an empty table
    // costs nothing, and turning the example on later needs no migration run of its own.
    // The index serves both queries: one user's notes newest first, and the per-user count.
    sql: [
      `CREATE TABLE notes (
        id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        user_id integer NOT NULL,
        text text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`,
      'CREATE INDEX notes_by_user ON notes (user_id, id)'
    ]
  }
]
