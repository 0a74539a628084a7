import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { MIN_SECRET_LENGTH } from '../tokens/signing-keys.js'

const GENERATED_SECRET_BYTES = 48

export interface DevelopmentSecretName {
  fileName: string
  // The variable that replaces the file.
  variable: string
}

export const JWT_SECRET_FILE: DevelopmentSecretName = { fileName: 'jwt-secret', variable: 'JWT_SECRET' }
export const REFRESH_TOKEN_SECRET_FILE: DevelopmentSecretName = { fileName: 'refresh-token-secret', variable: 'REFRESH_TOKEN_SECRET' }

export interface DevelopmentSecret {
  secret: string
  path: string
}

// Outside production a missing JWT_SECRET (or REFRESH_TOKEN_SECRET) is generated once and kept
// under DATA_DIR, so tokens survive a restart of a developer's server instead of logging everyone out.
export function loadOrCreateDevelopmentSecret (dataDir: string, secret: DevelopmentSecretName = JWT_SECRET_FILE): DevelopmentSecret {
  const path = join(dataDir, secret.fileName)
  const existing = readSecretFile(path, secret.variable)
  if (existing !== undefined) return { secret: existing, path }
  const generated = randomBytes(GENERATED_SECRET_BYTES).toString('base64url')
  mkdirSync(dataDir, { recursive: true })
  try {
    writeFileSync(path, generated, { mode: 0o600, flag: 'wx' })
  } catch (err) {
    // Another process started at the same moment and wrote it first: use theirs.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    return { secret: readSecretFile(path, secret.variable) ?? generated, path }
  }
  return { secret: generated, path }
}

function readSecretFile (path: string, variable: string): string | undefined {
  let secret: string
  try {
    secret = readFileSync(path, 'utf8').trim()
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  if (secret.length < MIN_SECRET_LENGTH) {
    throw new Error(`${path} holds a JWT secret shorter than ${MIN_SECRET_LENGTH} characters: delete it to generate a new one, or set ${variable}`)
  }
  return secret
}
