import { verifyAgainstDummy, verifyPassword } from '../passwords/password-hasher.js'
import type { User, UserRepository } from './user-repository.js'

// The user whose password this is, or undefined. An unknown account costs one argon2
// verification too, so the answer time does not tell which accounts exist.
export async function checkCredentials (users: UserRepository, account: string, password: string): Promise<User | undefined> {
  const user = await users.findByAccount(account)
  if (user === undefined) {
    await verifyAgainstDummy(password)
    return undefined
  }
  return await verifyPassword(user.passwordHash, password) ? user : undefined
}
