import { readFileSync } from 'node:fs'
import { KID_PATTERN, MIN_SECRET_LENGTH, signingKeyIndex, type SigningKey, type SigningKeys } from '../tokens/signing-keys.js'
import { ConfigError } from './config-error.js'

// JWT_KEYS holds a JSON list of {kid, secret, signs?}, or the path of a file that does (a mounted
// secret). Messages name keys by position and kid, never by secret.
export function parseJwtKeys (value: string): SigningKeys {
  const text = value.trimStart().startsWith('[') ? value : readKeyFile(value)
  let list: unknown
  try {
    list = JSON.parse(text)
  } catch {
    throw new ConfigError('Invalid configuration: JWT_KEYS is not a JSON list of {"kid", "secret"}')
  }
  if (!Array.isArray(list) || list.length === 0) {
    throw new ConfigError('Invalid configuration: JWT_KEYS must list at least one {"kid", "secret"}')
  }
  const keys = list.map((entry: unknown, index) => signingKey(entry, index))
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

function signingKey (entry: unknown, index: number): SigningKey {
  const { kid, secret, signs } = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>
  const where = `JWT_KEYS[${index}]`
  if (typeof kid !== 'string' || !KID_PATTERN.test(kid)) {
    throw new ConfigError(`Invalid configuration: ${where} needs a "kid" of 1 to 64 letters, digits, ".", "_" or "-"`)
  }
  if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH) {
    throw new ConfigError(`Invalid configuration: ${where} (kid "${kid}") needs a "secret" of at least ${MIN_SECRET_LENGTH} characters`)
  }
  if (signs !== undefined && signs !== false && signs !== true) {
    throw new ConfigError(`Invalid configuration: ${where} (kid "${kid}") has "signs" other than true or false`)
  }
  return signs === false ? { kid, secret, signs } : { kid, secret }
}

// JWT_SECRET is the one-key case (its tokens carry no kid); JWT_KEYS the rotating one.
export function signingKeysOf (env: { JWT_SECRET?: string, JWT_KEYS?: string }): SigningKeys | undefined {
  if (env.JWT_SECRET !== undefined && env.JWT_KEYS !== undefined) {
    throw new ConfigError('Invalid configuration: set JWT_SECRET or JWT_KEYS, not both (put the old secret in JWT_KEYS with a kid)')
  }
  if (env.JWT_KEYS !== undefined) return parseJwtKeys(env.JWT_KEYS)
  if (env.JWT_SECRET !== undefined) return [{ secret: env.JWT_SECRET }]
  return undefined
}
