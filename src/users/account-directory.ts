import type { UserId } from './user-id.js'
import type { UserRepository } from './user-repository.js'

// Where the account of a session that does not store one is found. A session this server's
// login starts leaves its account out of Redis (some 24 bytes of every session, see
// docs/redis-keys.md#what-a-session-costs): the users table has it, and an account never
// changes for a user id, so what was read once stays true.
export interface AccountDirectory {
  // The user's account when this process has read it, without I/O ('': there is no such user);
  // undefined when it has not.
  known: (userId: UserId) => string | undefined
  // Reads it (and keeps it, '' too). Throws when the users cannot be read.
  load: (userId: UserId) => Promise<string>
}

// What a user id that names no user of the table has: no account, kept like one so that such a
// session's checks do not query the table every time.
const NO_SUCH_USER = ''

// The users table's accounts, the most recently read `maxEntries` of them kept in memory: a
// session check needs no query for a user it has seen, and a login (which read the user) tells
// the directory the account before it starts the session.
export class UsersAccountDirectory implements AccountDirectory {
  private readonly accounts = new Map<UserId, string>()

  constructor (private readonly users: Pick<UserRepository, 'findById'>, private readonly maxEntries: number) {}

  known (userId: UserId): string | undefined {
    return this.accounts.get(userId)
  }

  async load (userId: UserId): Promise<string> {
    const account = (await this.users.findById(userId))?.account ?? NO_SUCH_USER
    this.remember(userId, account)
    return account
  }

  // Told by whoever read the user from the table (a login): no session of it needs a query then.
  remember (userId: UserId, account: string): void {
    // Oldest first: a Map keeps insertion order, so the first key is the one read longest ago.
    this.accounts.delete(userId)
    this.accounts.set(userId, account)
    if (this.accounts.size > this.maxEntries) {
      const oldest = this.accounts.keys().next()
      if (oldest.done !== true) this.accounts.delete(oldest.value)
    }
  }
}
