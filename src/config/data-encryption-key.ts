import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DATA_KEY_BYTES } from '../crypto/data-cipher.js'
import { ConfigError } from './config-error.js'

const DEVELOPMENT_KEY_FILE = 'data-encryption-key'
const HEX_KEY = /^[0-9a-fA-F]{64}$/
const BASE64_KEY = /^[A-Za-z0-9+/_-]{43}=?$/

// DATA_ENCRYPTION_KEY: 32 bytes, as 64 hex digits or as base64 (standard or URL-safe, 43 or 44
// characters); `openssl rand -hex 32` makes one.
export function parseDataEncryptionKey (value: string, source = 'DATA_ENCRYPTION_KEY'): Buffer {
  const text = value.trim()
  let key: Buffer | undefined
  if (HEX_KEY.test(text)) key = Buffer.from(text, 'hex')
  else if (BASE64_KEY.test(text)) key = Buffer.from(text.replaceAll('-', '+').replaceAll('_', '/'), 'base64')
  if (key?.length !== DATA_KEY_BYTES) {
    throw new ConfigError(`Invalid configuration: ${source} must be ${DATA_KEY_BYTES} bytes, as 64 hex digits or base64 (openssl rand -hex 32)`)
  }
  return key
}

export interface DevelopmentDataKey {
  key: Buffer
  path: string
}

// Outside production a missing DATA_ENCRYPTION_KEY is generated once and kept under DATA_DIR,
// as the development JWT secret is: the second factors set up on a developer's server keep
// working after a restart.
export function loadOrCreateDevelopmentDataKey (dataDir: string): DevelopmentDataKey {
  const path = join(dataDir, DEVELOPMENT_KEY_FILE)
  const existing = readKeyFile(path)
  if (existing !== undefined) return { key: existing, path }
  const generated = randomBytes(DATA_KEY_BYTES)
  mkdirSync(dataDir, { recursive: true })
  try {
    writeFileSync(path, generated.toString('hex'), { mode: 0o600, flag: 'wx' })
  } catch (err) {
    // Another process started at the same moment and wrote it first: use theirs.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    return { key: readKeyFile(path) ?? generated, path }
  }
  return { key: generated, path }
}

function readKeyFile (path: string): Buffer | undefined {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  return parseDataEncryptionKey(text, path)
}
