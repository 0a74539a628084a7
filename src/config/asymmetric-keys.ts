import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto'
import type { AsymmetricAlgorithm } from '../tokens/signing-keys.js'
import { ConfigError } from './config-error.js'

// The one key type each algorithm signs with, pinned: an Ed25519 key is never used for ES256.
const KEY_TYPES: Record<AsymmetricAlgorithm, { type: string, curve?: string, name: string }> = {
  EdDSA: { type: 'ed25519', name: 'an Ed25519 key' },
  ES256: { type: 'ec', curve: 'prime256v1', name: 'an EC key on P-256 (prime256v1)' }
}

export interface KeyEntryFields {
  secret?: unknown
  privateKey?: unknown
  publicKey?: unknown
}

function refuse (where: string, problem: string): never {
  throw new ConfigError(`Invalid configuration: ${where} ${problem}`)
}

// node:crypto's own messages are not repeated: they are about the PEM, which is the secret.
function parsed (where: string, field: string, read: () => KeyObject): KeyObject {
  try {
    return read()
  } catch {
    return refuse(where, `has a "${field}" that is not a readable PEM key`)
  }
}

function assertKeyType (where: string, key: KeyObject, algorithm: AsymmetricAlgorithm): void {
  const wanted = KEY_TYPES[algorithm]
  const curve = key.asymmetricKeyDetails?.namedCurve
  if (key.asymmetricKeyType === wanted.type && curve === wanted.curve) return
  const found = `${key.asymmetricKeyType ?? 'unknown'}${curve === undefined ? '' : ` (${curve})`}`
  refuse(where, `holds a key of type ${found}; ACCESS_TOKEN_ALG=${algorithm} needs ${wanted.name}`)
}

// One JWT_KEYS entry under EdDSA or ES256: a private key (PKCS#8 PEM), or where tokens are only
// verified, a public key (SPKI PEM). Returned as the PEM text fast-jwt reads, the public key
// derived from the private one. Messages name the entry, never the key.
export function keyPairOf (entry: KeyEntryFields, algorithm: AsymmetricAlgorithm, where: string): { publicKey: string, privateKey?: string } {
  const { secret, privateKey, publicKey } = entry
  if (secret !== undefined) {
    refuse(where, `has a "secret", but ACCESS_TOKEN_ALG=${algorithm} signs with a private key: give "privateKey" (npm run admin -- keys generate --alg ${algorithm})`)
  }
  if (privateKey !== undefined && publicKey !== undefined) {
    refuse(where, 'has both "privateKey" and "publicKey": give one (the public key is derived from the private one)')
  }
  if (typeof privateKey === 'string') {
    const key = parsed(where, 'privateKey', () => createPrivateKey(privateKey))
    assertKeyType(where, key, algorithm)
    return {
      publicKey: createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString(),
      privateKey: key.export({ type: 'pkcs8', format: 'pem' }).toString()
    }
  }
  if (typeof publicKey === 'string') {
    // createPublicKey would accept a private key too, and derive the public one from it.
    if (publicKey.includes('PRIVATE KEY')) refuse(where, 'has a private key in "publicKey": give it as "privateKey"')
    const key = parsed(where, 'publicKey', () => createPublicKey(publicKey))
    assertKeyType(where, key, algorithm)
    return { publicKey: key.export({ type: 'spki', format: 'pem' }).toString() }
  }
  return refuse(where, `needs a "privateKey" (PKCS#8 PEM of ${KEY_TYPES[algorithm].name}) or, where tokens are only verified, a "publicKey" (SPKI PEM)`)
}
