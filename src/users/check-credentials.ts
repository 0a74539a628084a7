import { verifyAgainstDummy, verifyPassword } from '../passwords/password-hasher.js'
import type { User, UserRepository } from './user-repository.js'

export interface CheckedLogin {
  user: User
  // The session generation read before the checked hash; see SessionStore.create.
  generation: string
}

// The user whose password this is, with the session generation to create the session under;
// undefined for wrong credentials. An unknown account costs one argon2 verification too, so
// the answer time does not tell which accounts exist.
export async function checkCredentials (
  users: UserRepository,
  readGeneration: (userId: number) => Promise<string>,
  account: string,
  password: string
): Promise<CheckedLogin | undefined> {
  const found = await users.findByAccount(account)
  if (found === undefined) {
    await verifyAgainstDummy(password)
    return undefined
  }
  // The hash is read again after the generation: a password change that finished before the
  // generation was read is visible in it, and one that finishes later moves the generation.
  const generation = await readGeneration(found.id)
  const user = await users.findById(found.id)
  if (user === undefined || !await verifyPassword(user.passwordHash, password)) return undefined
  return { user, generation }
}
