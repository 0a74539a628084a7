import { createHash, randomBytes } from 'node:crypto'

// 32 random bytes: 256 bits, past any guessing within the reset budgets and the token's TTL.
const RESET_TOKEN_BYTES = 32

// A password-reset token as the link carries it: base64url, 43 characters.
export function newResetToken (): string {
  return randomBytes(RESET_TOKEN_BYTES).toString('base64url')
}

// Only this is stored: a copy of Redis (a dump, a replica, a backup) holds no usable link.
export function resetTokenDigest (token: string): string {
  return createHash('sha256').update(token).digest('base64url')
}
