import { createHash, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto'
import { signingKeysOf } from '../src/config/jwt-keys.js'
import type { Env } from '../src/config/config-schema.js'
import { signingKeyIndex, verifyingMaterial, type SigningKey, type TokenAlgorithm } from '../src/tokens/signing-keys.js'

const GENERATED_SECRET_BYTES = 48
const KID_RANDOM_BYTES = 3
const FINGERPRINT_HEX_LENGTH = 12

// A kid that sorts by date and does not collide with another made the same day.
function newKid (now: Date): string {
  return `${now.toISOString().slice(0, 10)}-${randomBytes(KID_RANDOM_BYTES).toString('hex')}`
}

// What names a key in a listing without giving it away: a prefix of the SHA-256 of its secret,
// or of its public key (whose PEM is the same whether the private or the public key was listed).
function fingerprint (material: string): string {
  return `sha256:${createHash('sha256').update(material).digest('hex').slice(0, FINGERPRINT_HEX_LENGTH)}`
}

function newPrivateKey (algorithm: Exclude<TokenAlgorithm, 'HS256'>): KeyObject {
  return algorithm === 'EdDSA'
    ? generateKeyPairSync('ed25519').privateKey
    : generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
}

// `keys generate`: one JWT_KEYS entry on stdout, how to use it on stderr (so stdout can be piped).
// HS256: a random secret; EdDSA, ES256: a new private key as PKCS#8 PEM.
export function generateKey (kid: string | undefined, now = new Date(), algorithm: TokenAlgorithm = 'HS256'): { entry: string, advice: string } {
  const name = kid ?? newKid(now)
  const entry = JSON.stringify(algorithm === 'HS256'
    ? { kid: name, secret: randomBytes(GENERATED_SECRET_BYTES).toString('base64url') }
    : { kid: name, privateKey: newPrivateKey(algorithm).export({ type: 'pkcs8', format: 'pem' }).toString() })
  const advice = 'Add this entry to JWT_KEYS with "signs": false on every instance first, then remove "signs": false ' +
    'so it signs; drop the old key once its tokens have been renewed (docs/key-rotation.md).'
  return { entry, advice: algorithm === 'HS256' ? advice : `${advice} Set ACCESS_TOKEN_ALG=${algorithm}.` }
}

function role (index: number, signingIndex: number): string {
  if (index === signingIndex) return 'signs'
  return index < signingIndex ? 'coming (verifies, signs: false)' : 'older (verifies; its tokens are renewed)'
}

type KeyEnv = Pick<Env, 'JWT_SECRET' | 'JWT_KEYS' | 'ACCESS_TOKEN_ALG' | 'REFRESH_TOKEN_SECRET'>

// `keys list`: the configured keys by kid and fingerprint, the signing one marked; never a secret.
export function listKeys (env: KeyEnv): string[] {
  const keys: readonly SigningKey[] = signingKeysOf(env, { verifyOnly: true }) ?? []
  if (keys.length === 0) return ['no JWT_SECRET or JWT_KEYS set (a development server generates a secret under DATA_DIR)']
  const signingIndex = signingKeyIndex(keys)
  const lines = keys.map((key, index) =>
    `${key.kid ?? '(JWT_SECRET, no kid)'}\t${fingerprint(verifyingMaterial(key))}\t${role(index, signingIndex)}` +
    (key.publicKey !== undefined && key.privateKey === undefined ? ' (public key only)' : ''))
  if (env.REFRESH_TOKEN_SECRET !== undefined) lines.push(`refresh tokens\t${fingerprint(env.REFRESH_TOKEN_SECRET)}\tREFRESH_TOKEN_SECRET`)
  else if (env.JWT_SECRET !== undefined) lines.push('refresh tokens\tderived from JWT_SECRET (set REFRESH_TOKEN_SECRET to it before moving to JWT_KEYS)')
  else lines.push('refresh tokens\tno REFRESH_TOKEN_SECRET (required with JWT_KEYS for AUTH_STRATEGY=refresh in production)')
  return lines
}

// `keys public`: JWT_KEYS as a service that only verifies needs it (EdDSA, ES256): the same list,
// in the same order, each private key replaced by its public key.
export function publicKeyList (env: KeyEnv): string {
  const keys = signingKeysOf(env, { verifyOnly: true }) ?? []
  return JSON.stringify(keys.map(({ kid, signs, publicKey }) => ({ kid, publicKey, ...(signs === false ? { signs } : {}) })))
}
