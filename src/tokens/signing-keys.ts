// The keys that sign and verify session tokens, newest first. The first one signs; every one
// verifies, so a new key can be put first while tokens signed with the older ones keep working.
// A key marked `signs: false` is a coming one, listed before the signing key while a rolling
// deployment makes every instance know it: verified, never signed with. `kid` is the key's name
// in the token header; the one key made from JWT_SECRET has none.

// ACCESS_TOKEN_ALG: HS256 signs with a shared secret; EdDSA (Ed25519) and ES256 (P-256) with a
// private key, so that others can verify with the public one.
export const TOKEN_ALGORITHMS = ['HS256', 'EdDSA', 'ES256'] as const
export type TokenAlgorithm = typeof TOKEN_ALGORITHMS[number]
export type AsymmetricAlgorithm = Exclude<TokenAlgorithm, 'HS256'>

interface KeyRole {
  kid?: string
  signs?: false
}

// HS256: one secret signs and verifies.
export interface SecretKey extends KeyRole {
  secret: string
  privateKey?: undefined
  publicKey?: undefined
}

// EdDSA or ES256: the public key verifies and is published; the private key signs. A service
// that only verifies may be given the public key alone.
export interface KeyPair extends KeyRole {
  kid: string
  // SPKI PEM.
  publicKey: string
  // PKCS#8 PEM; absent where only `publicKey` was given.
  privateKey?: string
  secret?: undefined
}

export type SigningKey = SecretKey | KeyPair

export type SigningKeys = readonly [SigningKey, ...SigningKey[]]

export const KID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/
export const MIN_SECRET_LENGTH = 32

// Where the signing key is: the first not marked `signs: false`. Keys after it are older.
export function signingKeyIndex (keys: readonly SigningKey[]): number {
  return keys.findIndex((key) => key.signs !== false)
}

// What signs with a key: its secret or its private key; undefined for a public key alone.
export function signingMaterial (key: SigningKey): string | undefined {
  return key.secret ?? key.privateKey
}

// What verifies with a key: its secret or its public key.
export function verifyingMaterial (key: SigningKey): string {
  return key.secret !== undefined ? key.secret : key.publicKey
}
