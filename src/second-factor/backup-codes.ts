import { createHmac, hkdfSync, randomInt } from 'node:crypto'

// Backup codes: ten single-use codes shown once when the second factor is set up, for a lost
// phone. Each is 10 characters of a 32-letter alphabet (50 bits), shown as `abcde-fghij`.
//
// Only a keyed digest of each is stored: HMAC-SHA-256 under a key derived from
// DATA_ENCRYPTION_KEY. A slow password hash (argon2) is for low-entropy secrets a person chose;
// 50 random bits cannot be guessed offline even with a fast hash, and with a key the database
// alone gives nothing to guess against. A fast digest can also be looked up directly, so using
// a code is one conditional UPDATE (atomic single use) rather than up to ten argon2 checks
// competing with password logins for the hashing slots. Online guessing is bounded by the login
// budgets.
export const BACKUP_CODE_COUNT = 10
const BACKUP_CODE_LENGTH = 10
const GROUP_LENGTH = 5
// RFC 4648's base32 letters, lowercase: no 0/1/8/9, so no o/l/b/g look-alikes to mistype.
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567'
const DIGEST_KEY_INFO = 'token-session-auth backup codes v1'
const DIGEST_KEY_BYTES = 32
const SEPARATORS = /[\s-]/g

export function newBackupCodes (): string[] {
  return Array.from({ length: BACKUP_CODE_COUNT }, () => {
    const letters = Array.from({ length: BACKUP_CODE_LENGTH }, () => ALPHABET[randomInt(ALPHABET.length)]).join('')
    return `${letters.slice(0, GROUP_LENGTH)}-${letters.slice(GROUP_LENGTH)}`
  })
}

// As typed: any case, with or without the hyphen or spaces.
export function normalizeBackupCode (code: string): string {
  return code.replace(SEPARATORS, '').toLowerCase()
}

export function looksLikeBackupCode (code: string): boolean {
  const normalized = normalizeBackupCode(code)
  return normalized.length === BACKUP_CODE_LENGTH && [...normalized].every((letter) => ALPHABET.includes(letter))
}

export class BackupCodeDigester {
  private readonly key: Buffer

  constructor (dataEncryptionKey: Buffer) {
    this.key = Buffer.from(hkdfSync('sha256', dataEncryptionKey, Buffer.alloc(0), DIGEST_KEY_INFO, DIGEST_KEY_BYTES))
  }

  // Bound to the user, so one user's digest says nothing about another's codes.
  digest (userId: number, code: string): string {
    return createHmac('sha256', this.key).update(`${userId}:${normalizeBackupCode(code)}`).digest('base64url')
  }
}
