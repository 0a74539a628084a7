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
  },
  {
    version: 4,
    name: 'refresh_tokens of any user id',
    // A session's user id is an integer or a string (src/users/user-id.ts). The column keeps its
    // key form (userIdKey: `123` and `"123"` are one user); `user_id_is_string` says which kind
    // the session was started with, so a refresh answers a number as a number. Rows already
    // there are of integer ids.
    sql: `ALTER TABLE refresh_tokens
      ALTER COLUMN user_id TYPE text USING user_id::text,
      ADD COLUMN user_id_is_string boolean NOT NULL DEFAULT false`
  },
  {
    version: 5,
    name: 'notes of any user id',
    // The example resource keyed by the user id's key form, so that a session of another user
    // store keeps notes too; the notes of integer ids keep their owner.
    sql: 'ALTER TABLE notes ALTER COLUMN user_id TYPE text USING user_id::text'
  },
  {
    version: 6,
    name: 'refresh_tokens keep their session rules',
    // What a session re-created from its refresh token needs of SESSION_DEVICE_RULES and
    // rememberMe: its device type, its own idle TTL and absolute lifetime (seconds; null: the
    // general settings') and whether it is not remembered. Rows already there have none.
    sql: `ALTER TABLE refresh_tokens
      ADD COLUMN device_type text,
      ADD COLUMN idle_ttl_seconds bigint,
      ADD COLUMN max_lifetime_seconds bigint,
      ADD COLUMN not_remembered boolean NOT NULL DEFAULT false`
  },
  {
    version: 7,
    name: 'totp second factor and backup codes',
    // A user's TOTP factor once confirmed: its secret sealed with DATA_ENCRYPTION_KEY
    // (src/crypto/data-cipher.ts), so a dump alone does not give it away, and the last time step
    // a code was accepted for, which a login's code must be newer than (no replay). The backup
    // codes are kept as keyed digests only (src/second-factor/backup-codes.ts); a used one keeps
    // its row with used_at, so that it is refused rather than unknown.
    sql: [
      `CREATE TABLE totp_factors (
        user_id integer PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
        sealed_secret text NOT NULL,
        enabled_at timestamptz NOT NULL DEFAULT now(),
        last_used_step bigint
      )`,
      `CREATE TABLE totp_backup_codes (
        user_id integer NOT NULL REFERENCES totp_factors (user_id) ON DELETE CASCADE,
        code_digest text NOT NULL,
        used_at timestamptz,
        PRIMARY KEY (user_id, code_digest)
      )`
    ]
  }
]
