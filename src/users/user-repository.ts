import type { SqlQueryable } from '../db/sql-database.js'
import { AccountTakenError } from '../errors/api-errors.js'
import type { UserType } from '../tokens/session-claims.js'
import { normalizeAccount } from './account.js'
import { isIntegerUserId, type UserId } from './user-id.js'

export interface User {
  id: number
  account: string
  userType: UserType
  passwordHash: string
}

interface UserRow {
  id: number
  account: string
  user_type: UserType
  password_hash: string
}

const USER_COLUMNS = 'id, account, user_type, password_hash'
const UNIQUE_VIOLATION = '23505'

function toUser (row: UserRow): User {
  return { id: row.id, account: row.account, userType: row.user_type, passwordHash: row.password_hash }
}

// The user as a login checks it: whether a second factor is on decides between a session and a
// challenge.
export interface LoginUser extends User {
  secondFactor: boolean
}

// A user as the admins' list shows one: never the password hash.
export interface ListedUser extends Omit<User, 'passwordHash'> {
  createdAt: Date
}

interface ListedUserRow extends Omit<UserRow, 'password_hash'> {
  created_at: Date
}

export interface UserPage {
  users: ListedUser[]
  // The id to pass as `after` for the next page; null when this page is the last.
  next: number | null
}

export interface NewUser {
  account: string
  passwordHash: string
  userType?: UserType
}

export class UserRepository {
  constructor (private readonly db: SqlQueryable) {}

  async create ({ account, passwordHash, userType = 'user' }: NewUser): Promise<User> {
    try {
      const [row] = await this.db.query<UserRow>(
        `INSERT INTO users (account, password_hash, user_type) VALUES ($1, $2, $3) RETURNING ${USER_COLUMNS}`,
        [normalizeAccount(account), passwordHash, userType]
      )
      if (row === undefined) throw new Error('INSERT ... RETURNING returned no row')
      return toUser(row)
    } catch (error) {
      if ((error as { code?: unknown }).code === UNIQUE_VIOLATION) throw new AccountTakenError()
      throw error
    }
  }

  async findByAccount (account: string): Promise<User | undefined> {
    const [row] = await this.db.query<UserRow>(
      `SELECT ${USER_COLUMNS} FROM users WHERE account = $1`, [normalizeAccount(account)]
    )
    return row === undefined ? undefined : toUser(row)
  }

  // A session's user id may be another user store's: a string names no user of this table (and
  // never reaches its `integer` column as a parameter, which would be an error, not a miss).
  async findById (id: UserId): Promise<User | undefined> {
    if (!isIntegerUserId(id)) return undefined
    const [row] = await this.db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [id])
    return row === undefined ? undefined : toUser(row)
  }

  // The row and whether the user has a second factor (totp_factors) in one query: a login
  // decides from the same read as the hash it checks, with one round trip fewer.
  async findForLogin (id: number): Promise<LoginUser | undefined> {
    const [row] = await this.db.query<UserRow & { second_factor: boolean }>(
      `SELECT ${USER_COLUMNS}, EXISTS (SELECT 1 FROM totp_factors WHERE totp_factors.user_id = users.id) AS second_factor FROM users WHERE id = $1`, [id]
    )
    return row === undefined ? undefined : { ...toUser(row), secondFactor: row.second_factor }
  }

  // The users with an id above `after`, by id, `limit` at most. Keyset pagination: a page costs
  // what the first does, and users added or removed meanwhile shift no later page. One row more
  // than asked says whether another page follows. `after` is compared as a bigint: past the
  // integer column's range no user follows it, which as an integer parameter would be an error.
  async listPage (after: number, limit: number): Promise<UserPage> {
    const rows = await this.db.query<ListedUserRow>(
      'SELECT id, account, user_type, created_at FROM users WHERE id > $1::bigint ORDER BY id LIMIT $2', [after, limit + 1]
    )
    const users = rows.slice(0, limit).map((row) => ({ id: row.id, account: row.account, userType: row.user_type, createdAt: row.created_at }))
    return { users, next: rows.length > limit ? (users.at(-1)?.id ?? null) : null }
  }

  // The role before the change, or undefined when there is no such user.
  async updateUserType (id: number, userType: UserType): Promise<UserType | undefined> {
    const rows = await this.db.query<{ previous: UserType }>(
      // The self-join reads the row as it was before this statement.
      'UPDATE users SET user_type = $2 FROM users AS before WHERE users.id = $1 AND before.id = users.id RETURNING before.user_type AS previous',
      [id, userType]
    )
    return rows[0]?.previous
  }

  async updatePasswordHash (id: UserId, passwordHash: string): Promise<boolean> {
    if (!isIntegerUserId(id)) return false
    const rows = await this.db.query<{ id: number }>(
      'UPDATE users SET password_hash = $2, password_changed_at = now() WHERE id = $1 RETURNING id',
      [id, passwordHash]
    )
    return rows.length > 0
  }
}
