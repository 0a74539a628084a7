import type { UserId } from './user-id.js'

// What replacing a password needs: the session lifecycle (app.sessions) and the users table.
export interface PasswordReplacement {
  sessions: { endAll: (userId: UserId, ended: PasswordEnding) => Promise<number> }
  users: { updatePasswordHash: (id: UserId, passwordHash: string) => Promise<boolean> }
}

export interface PasswordEnding {
  reason: 'password_changed' | 'password_reset'
  ip: string
}

// A password change and a password reset store the new hash alike. Sessions end before the hash
// is stored, so a failure half way leaves the user signed out with the old password intact, never
// with old sessions alive. They end again after it, for logins that checked the old password in
// between (the generation moves). `stored` runs between the two, once the new hash holds.
export async function replacePassword (
  { sessions, users }: PasswordReplacement, userId: UserId, passwordHash: string, ended: PasswordEnding, stored: () => void
): Promise<void> {
  await sessions.endAll(userId, ended)
  await users.updatePasswordHash(userId, passwordHash)
  stored()
  await sessions.endAll(userId, ended)
}
