import argon2 from 'argon2'

// OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane): a login costs tens of milliseconds,
// a stolen hash costs an attacker the same per guess.
export const ARGON2_OPTIONS = {
  type: argon2.argon2id,
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1
} as const

export const PASSWORD_MIN_LENGTH = 8
export const PASSWORD_MAX_LENGTH = 256

export async function hashPassword (password: string): Promise<string> {
  return await argon2.hash(password, ARGON2_OPTIONS)
}

// A malformed stored hash is a failed check, not a crash.
export async function verifyPassword (hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password)
  } catch {
    return false
  }
}

let dummyHash: Promise<string> | undefined

async function theDummyHash (): Promise<string> {
  dummyHash ??= hashPassword('dummy password that never matches')
  return await dummyHash
}

// Made at start rather than on first use, or the first unknown account would take longer.
export async function prepareDummyHash (): Promise<void> {
  await theDummyHash()
}

// Verifying against this when the account does not exist makes "unknown account" and
// "wrong password" take the same time, so response timing does not reveal accounts.
export async function verifyAgainstDummy (password: string): Promise<void> {
  await verifyPassword(await theDummyHash(), password)
}
