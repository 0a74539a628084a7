import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const GENERATED_SECRET_BYTES = 48
const SECRET_FILE_NAME = 'jwt-secret'
const MIN_SECRET_LENGTH = 32

export interface DevelopmentSecret {
  secret: string
  path: string
}

// Outside production a missing JWT_SECRET is generated once and kept under DATA_DIR,
// so tokens survive a restart of a developer's server instead of logging everyone out.
export function loadOrCreateDevelopmentSecret (dataDir: string): DevelopmentSecret {
  const path = join(dataDir, SECRET_FILE_NAME)
  const existing = readSecretFile(path)
  if (existing !== undefined) return { secret: existing, path }
  const secret = randomBytes(GENERATED_SECRET_BYTES).toString('base64url')
  mkdirSync(dataDir, { recursive: true })
  try {
    writeFileSync(path, secret, { mode: 0o600, flag: 'wx' })
  } catch (err) {
    // Another process started at the same moment and wrote it first: use theirs.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    return { secret: readSecretFile(path) ?? secret, path }
  }
  return { secret, path }
}

function readSecretFile (path: string): string | undefined {
  let secret: string
  try {
    secret = readFileSync(path, 'utf8').trim()
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  if (secret.length < MIN_SECRET_LENGTH) {
    throw new Error(`${path} holds a JWT secret shorter than ${MIN_SECRET_LENGTH} characters: delete it to generate a new one, or set JWT_SECRET`)
  }
  return secret
}
