import type { LoginUser, UserRepository } from './user-repository.js'

// What a credential check needs of the password hasher (a BoundedPasswordHasher on the request path).
export interface PasswordVerifier {
  verify: (hash: string, password: string) => Promise<boolean>
  verifyAgainstDummy: (password: string) => Promise<void>
}

export interface CredentialSources {
  users: Pick<UserRepository, 'findByAccount' | 'findForLogin'>
  passwords: PasswordVerifier
  readGeneration: (userId: number) => Promise<string>
}

export interface CheckedLogin {
  // With whether a second factor is on, read with the hash.
  user: LoginUser
  // The session generation read before the checked hash; see SessionStore.create.
  generation: string
}

// The user whose password this is, with the session generation to create the session under;
// undefined for wrong credentials. An unknown account costs one argon2 verification too, so
// the answer time does not tell which accounts exist.
export async function checkCredentials (
  { users, passwords, readGeneration }: CredentialSources,
  account: string,
  password: string
): Promise<CheckedLogin | undefined> {
  const found = await users.findByAccount(account)
  if (found === undefined) {
    await passwords.verifyAgainstDummy(password)
    return undefined
  }
  // The hash is read again after the generation: a password change that finished before the
  // generation was read is visible in it, and one that finishes later moves the generation.
  const generation = await readGeneration(found.id)
  const user = await users.findForLogin(found.id)
  if (user === undefined || !await passwords.verify(user.passwordHash, password)) return undefined
  return { user, generation }
}
