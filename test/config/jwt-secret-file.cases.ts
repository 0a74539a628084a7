import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { ConfigError, loadConfig } from '../../src/config/load-config.js'

// The development secret kept under DATA_DIR (when JWT_SECRET is not set) is refused, not
// replaced, when it is too short or cannot be read: a new secret would silently sign every
// developer out, and a short one would sign tokens with a guessable key.

const SECRET_FILE_NAME = 'jwt-secret'
const SHORT_SECRET = 'only-twenty-chars-xx'

function tempDataDir (t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'auth-jwt-secret-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  return dir
}

// The error loadConfig throws for this data dir, or undefined when it loads.
function loadError (dataDir: string): Error | undefined {
  try {
    loadConfig({ DATA_DIR: dataDir })
  } catch (error) {
    return error as Error
  }
  return undefined
}

t.test('a secret file shorter than 32 characters is refused and left as it is', async (t) => {
  const dataDir = tempDataDir(t)
  const secretPath = join(dataDir, SECRET_FILE_NAME)
  writeFileSync(secretPath, `${SHORT_SECRET}\n`)

  const error = loadError(dataDir)

  t.type(error, ConfigError, 'the configuration is refused')
  t.match(String(error?.message), secretPath, 'the message names the file')
  t.match(String(error?.message), 'shorter than 32 characters', 'and what is wrong with it')
  t.match(String(error?.message), 'JWT_SECRET', 'and the way out')
  t.equal(readFileSync(secretPath, 'utf8'), `${SHORT_SECRET}\n`, 'no new secret was written over it')
})

t.test('a secret file that cannot be read is refused, not taken for a missing one', async (t) => {
  const dataDir = tempDataDir(t)
  const secretPath = join(dataDir, SECRET_FILE_NAME)
  // A directory where the file should be: reading it fails with EISDIR, not ENOENT.
  mkdirSync(secretPath)

  const error = loadError(dataDir)

  t.type(error, ConfigError, 'the configuration is refused')
  t.match(String(error?.message), 'EISDIR', 'with the reason the read failed')
  t.ok(statSync(secretPath).isDirectory(), 'nothing was written in its place')
})
