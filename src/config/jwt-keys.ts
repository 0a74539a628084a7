import { readFileSync } from 'node:fs'
import { keyMaterialKind, SECRET_ADVICE } from '../tokens/key-material.js'
import { KID_PATTERN, MIN_SECRET_LENGTH, signingKeyIndex, type SigningKey, type SigningKeys, type TokenAlgorithm } from '../tokens/signing-keys.js'
import { keyPairOf } from './asymmetric-keys.js'
import { ConfigError } from './config-error.js'

export interface JwtKeySettings {
  JWT_SECRET?: string
  JWT_KEYS?: string
  ACCESS_TOKEN_ALG: TokenAlgorithm
}

export interface JwtKeyRules {
  // A service that only verifies tokens may be given public keys alone; the server signs.
  verifyOnly?: boolean
}

// JWT_KEYS holds a JSON list of {kid, secret, signs?} (HS256) or {kid, privateKey | publicKey,
// signs?} (EdDSA, ES256), or the path of a file that does (a mounted secret). Messages name keys
// by position and kid, never by secret or key.
export function parseJwtKeys (value: string, algorithm: TokenAlgorithm = 'HS256'): SigningKeys {
  const text = value.trimStart().startsWith('[') ? value : readKeyFile(value)
  const shape = algorithm === 'HS256' ? '{"kid", "secret"}' : '{"kid", "privateKey"}'
  let list: unknown
  try {
    list = JSON.parse(text)
  } catch {
    throw new ConfigError(`Invalid configuration: JWT_KEYS is not a JSON list of ${shape}`)
  }
  if (!Array.isArray(list) || list.length === 0) {
    throw new ConfigError(`Invalid configuration: JWT_KEYS must list at least one ${shape}`)
  }
  const keys = list.map((entry: unknown, index) => signingKey(entry, index, algorithm))
  if (signingKeyIndex(keys) === -1) {
    throw new ConfigError('Invalid configuration: JWT_KEYS has no key that signs (every one says "signs": false)')
  }
  const kids = new Set<string>()
  for (const { kid = '' } of keys) {
    if (kids.has(kid)) throw new ConfigError(`Invalid configuration: JWT_KEYS names kid "${kid}" twice`)
    kids.add(kid)
  }
  return keys as [SigningKey, ...SigningKey[]]
}

function readKeyFile (path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch (error) {
    throw new ConfigError(`Invalid configuration: JWT_KEYS is neither a JSON list nor a readable file (${(error as NodeJS.ErrnoException).code ?? 'unreadable'}: ${path})`)
  }
}

function signingKey (entry: unknown, index: number, algorithm: TokenAlgorithm): SigningKey {
  const fields = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>
  const { kid, secret, signs } = fields
  const where = `JWT_KEYS[${index}]`
  if (typeof kid !== 'string' || !KID_PATTERN.test(kid)) {
    throw new ConfigError(`Invalid configuration: ${where} needs a "kid" of 1 to 64 letters, digits, ".", "_" or "-"`)
  }
  if (signs !== undefined && signs !== false && signs !== true) {
    throw new ConfigError(`Invalid configuration: ${where} (kid "${kid}") has "signs" other than true or false`)
  }
  const role: { kid: string, signs?: false } = signs === false ? { kid, signs } : { kid }
  if (algorithm !== 'HS256') return { ...role, ...keyPairOf(fields, algorithm, `${where} (kid "${kid}")`) }
  if (fields.privateKey !== undefined || fields.publicKey !== undefined) {
    throw new ConfigError(`Invalid configuration: ${where} (kid "${kid}") has a private or public key, which ACCESS_TOKEN_ALG=HS256 does not use: set ACCESS_TOKEN_ALG=EdDSA or ES256, or give a "secret"`)
  }
  if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH) {
    throw new ConfigError(`Invalid configuration: ${where} (kid "${kid}") needs a "secret" of at least ${MIN_SECRET_LENGTH} characters`)
  }
  assertNotKeyMaterial(secret, `${where} (kid "${kid}") has a "secret" that`)
  return { ...role, secret }
}

// A public key given as an HMAC secret would let anyone who reads it sign tokens. `subject`
// begins the message ("JWT_SECRET"); the message names the material's kind, never the material.
export function assertNotKeyMaterial (secret: string, subject: string): void {
  const kind = keyMaterialKind(secret)
  if (kind !== undefined) throw new ConfigError(`Invalid configuration: ${subject} holds key material (${kind}), not a secret: ${SECRET_ADVICE}`)
}

// The server signs with the first key that signs, so it needs that key's private half.
function assertCanSign (keys: SigningKeys): void {
  const index = signingKeyIndex(keys)
  if (keys[index]?.publicKey !== undefined && keys[index]?.privateKey === undefined) {
    throw new ConfigError(`Invalid configuration: JWT_KEYS[${index}] (kid "${keys[index]?.kid ?? ''}") signs, but has only a "publicKey": the server needs its "privateKey"`)
  }
}

// JWT_SECRET is the one-key case (its tokens carry no kid); JWT_KEYS the rotating one, and the
// only one for EdDSA and ES256.
export function signingKeysOf (env: JwtKeySettings, { verifyOnly = false }: JwtKeyRules = {}): SigningKeys | undefined {
  if (env.JWT_SECRET !== undefined && env.JWT_KEYS !== undefined) {
    throw new ConfigError('Invalid configuration: set JWT_SECRET or JWT_KEYS, not both (put the old secret in JWT_KEYS with a kid)')
  }
  if (env.ACCESS_TOKEN_ALG !== 'HS256' && env.JWT_KEYS === undefined) {
    throw new ConfigError(`Invalid configuration: ACCESS_TOKEN_ALG=${env.ACCESS_TOKEN_ALG} needs JWT_KEYS with private keys ` +
      `(npm run admin -- keys generate --alg ${env.ACCESS_TOKEN_ALG}); JWT_SECRET is an HS256 secret`)
  }
  if (env.JWT_KEYS !== undefined) {
    const keys = parseJwtKeys(env.JWT_KEYS, env.ACCESS_TOKEN_ALG)
    if (!verifyOnly) assertCanSign(keys)
    return keys
  }
  if (env.JWT_SECRET !== undefined) {
    assertNotKeyMaterial(env.JWT_SECRET, 'JWT_SECRET')
    return [{ secret: env.JWT_SECRET }]
  }
  return undefined
}
