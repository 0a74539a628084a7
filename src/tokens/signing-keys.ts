// The keys that sign and verify session tokens, newest first. The first one signs; every one
// verifies, so a new key can be put first while tokens signed with the older ones keep working.
// A key marked `signs: false` is a coming one, listed before the signing key while a rolling
// deployment makes every instance know it: verified, never signed with. `kid` is the key's name
// in the token header; the one key made from JWT_SECRET has none.
export interface SigningKey {
  kid?: string
  secret: string
  signs?: false
}

export type SigningKeys = readonly [SigningKey, ...SigningKey[]]

export const KID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/
export const MIN_SECRET_LENGTH = 32

// Where the signing key is: the first not marked `signs: false`. Keys after it are older.
export function signingKeyIndex (keys: readonly SigningKey[]): number {
  return keys.findIndex((key) => key.signs !== false)
}
