// Versioned schema changes, applied in order at start. Never edit a released migration: add one.
export interface Migration {
  version: number
  name: string
  sql: string
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
  }
]
