import { createPublicKey } from 'node:crypto'
import type { AsymmetricAlgorithm, SigningKey } from './signing-keys.js'

// One public key as RFC 7517 writes it: Ed25519 as an OKP key (x), P-256 as an EC key (x, y).
export interface PublicJwk {
  kty: 'OKP' | 'EC'
  crv: 'Ed25519' | 'P-256'
  x: string
  y?: string
  kid: string
  alg: AsymmetricAlgorithm
  use: 'sig'
}

export interface JwkSet {
  keys: PublicJwk[]
}

// Every listed key, the coming, the signing and the older ones, so an offline verifier knows a
// new key before any token carries it and an old one until the operator removes it. Only the
// public half is read: a private key's `d` cannot reach the set. Secrets (HS256) have no place here.
export function publicJwkSet (keys: readonly SigningKey[], algorithm: AsymmetricAlgorithm): JwkSet {
  return {
    keys: keys.flatMap((key) => {
      if (key.publicKey === undefined) return []
      const { kty, crv, x, y } = createPublicKey(key.publicKey).export({ format: 'jwk' })
      return [{ kty, crv, x, ...(y === undefined ? {} : { y }), kid: key.kid, alg: algorithm, use: 'sig' } as PublicJwk]
    })
  }
}
