import { createHash, randomBytes } from 'node:crypto'
import { signingKeysOf } from '../src/config/jwt-keys.js'
import type { Env } from '../src/config/config-schema.js'
import { signingKeyIndex, type SigningKey } from '../src/tokens/signing-keys.js'

const GENERATED_SECRET_BYTES = 48
const KID_RANDOM_BYTES = 3
const FINGERPRINT_HEX_LENGTH = 12

// A kid that sorts by date and does not collide with another made the same day.
function newKid (now: Date): string {
  return `${now.toISOString().slice(0, 10)}-${randomBytes(KID_RANDOM_BYTES).toString('hex')}`
}

// What names a secret in a listing without giving it away: a prefix of its SHA-256.
function fingerprint (secret: string): string {
  return `sha256:${createHash('sha256').update(secret).digest('hex').slice(0, FINGERPRINT_HEX_LENGTH)}`
}

// `keys generate`: one JWT_KEYS entry on stdout, how to use it on stderr (so stdout can be piped).
export function generateKey (kid: string | undefined, now = new Date()): { entry: string, advice: string } {
  const entry = JSON.stringify({ kid: kid ?? newKid(now), secret: randomBytes(GENERATED_SECRET_BYTES).toString('base64url') })
  const advice = 'Add this entry to JWT_KEYS with "signs": false on every instance first, then remove "signs": false ' +
    'so it signs; drop the old key once its tokens have been renewed (docs/key-rotation.md).'
  return { entry, advice }
}

function role (index: number, signingIndex: number): string {
  if (index === signingIndex) return 'signs'
  return index < signingIndex ? 'coming (verifies, signs: false)' : 'older (verifies; its tokens are renewed)'
}

// `keys list`: the configured keys by kid and fingerprint, the signing one marked; never a secret.
export function listKeys (env: Pick<Env, 'JWT_SECRET' | 'JWT_KEYS' | 'REFRESH_TOKEN_SECRET'>): string[] {
  const keys: readonly SigningKey[] = signingKeysOf(env) ?? []
  if (keys.length === 0) return ['no JWT_SECRET or JWT_KEYS set (a development server generates a secret under DATA_DIR)']
  const signingIndex = signingKeyIndex(keys)
  const lines = keys.map((key, index) =>
    `${key.kid ?? '(JWT_SECRET, no kid)'}\t${fingerprint(key.secret)}\t${role(index, signingIndex)}`)
  if (env.REFRESH_TOKEN_SECRET !== undefined) lines.push(`refresh tokens\t${fingerprint(env.REFRESH_TOKEN_SECRET)}\tREFRESH_TOKEN_SECRET`)
  else if (env.JWT_SECRET !== undefined) lines.push('refresh tokens\tderived from JWT_SECRET (set REFRESH_TOKEN_SECRET to it before moving to JWT_KEYS)')
  else lines.push('refresh tokens\tno REFRESH_TOKEN_SECRET (required with JWT_KEYS for AUTH_STRATEGY=refresh in production)')
  return lines
}
