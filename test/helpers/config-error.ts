import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError, loadConfig } from '../../src/config/load-config.js'

// The ConfigError loadConfig throws for `env` (with a data directory of its own), or undefined
// when the configuration loads; anything else it throws is a bug and is thrown on.
export function configError (env: Record<string, string>): ConfigError | undefined {
  try {
    loadConfig({ DATA_DIR: mkdtempSync(join(tmpdir(), 'auth-keys-')), ...env })
  } catch (error) {
    if (error instanceof ConfigError) return error
    throw error
  }
  return undefined
}
