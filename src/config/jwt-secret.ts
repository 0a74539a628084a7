import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const GENERATED_SECRET_BYTES = 48
const SECRET_FILE_NAME = 'jwt-secret'

export interface DevelopmentSecret {
  secret: string
  path: string
}

// Outside production a missing JWT_SECRET is generated once and kept under DATA_DIR,
// so tokens survive a restart of a developer's server instead of logging everyone out.
export function loadOrCreateDevelopmentSecret (dataDir: string): DevelopmentSecret {
  const path = join(dataDir, SECRET_FILE_NAME)
  try {
    return { secret: readFileSync(path, 'utf8').trim(), path }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  const secret = randomBytes(GENERATED_SECRET_BYTES).toString('base64url')
  mkdirSync(dataDir, { recursive: true })
  writeFileSync(path, secret, { mode: 0o600, flag: 'wx' })
  return { secret, path }
}
