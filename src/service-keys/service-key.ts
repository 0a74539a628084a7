import { createHash, randomBytes } from 'node:crypto'
import type { ServiceKeyScope } from './service-key-scopes.js'

// A service key is a random secret a backend sends as `Authorization: Bearer <key>`. The server
// keeps only its SHA-256 (SERVICE_KEYS), so a leaked configuration opens nothing; a key has 256
// bits of entropy, so its digest is no easier to reverse than the key is to guess.

// Makes a leaked key easy to find: secret scanners (gitleaks, GitHub's custom patterns) can match
// `tsa_sk_` followed by 43 base64url characters (docs/configuration.md#service-keys).
export const SERVICE_KEY_PREFIX = 'tsa_sk_'
const SERVICE_KEY_RANDOM_BYTES = 32

// A name shows in events (`actor: "service:<name>"`) and logs: short, plain, no spaces.
export const SERVICE_KEY_NAME_PATTERN = /^[a-z][a-z0-9_-]{0,31}$/
export const SERVICE_KEY_NAME_RULE = '1 to 32 lowercase letters, digits, "_" or "-", beginning with a letter'

export const KEY_SHA256_PATTERN = /^[0-9a-fA-F]{64}$/

// One entry of SERVICE_KEYS: `keySha256` is 64 hex digits, lowercase once parsed.
export interface ServiceKeyEntry {
  name: string
  keySha256: string
  scopes: readonly ServiceKeyScope[]
}

export function newServiceKey (): string {
  return `${SERVICE_KEY_PREFIX}${randomBytes(SERVICE_KEY_RANDOM_BYTES).toString('base64url')}`
}

// The SHA-256 of the key as sent (prefix included), over its UTF-8 bytes.
export function serviceKeyDigest (key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest()
}

export function serviceKeyEntry (name: string, key: string, scopes: readonly ServiceKeyScope[]): ServiceKeyEntry {
  return { name, keySha256: serviceKeyDigest(key).toString('hex'), scopes }
}
