import { readFileSync } from 'node:fs'
import { KEY_SHA256_PATTERN, SERVICE_KEY_NAME_PATTERN, SERVICE_KEY_PREFIX, SERVICE_KEY_NAME_RULE, type ServiceKeyEntry } from '../service-keys/service-key.js'
import { isServiceKeyScope, SERVICE_KEY_SCOPES, type ServiceKeyScope } from '../service-keys/service-key-scopes.js'
import { ConfigError } from './config-error.js'

const ENTRY_SHAPE = '{"name", "keySha256", "scopes"}'

// SERVICE_KEYS holds a JSON list of {name, keySha256, scopes}, or the path of a file that does (a
// mounted secret), as JWT_KEYS does. Each entry is checked here, at start: a typo in a scope or a
// digest would otherwise show only as a backend's 401 or 403 in production.
export function parseServiceKeys (value: string): ServiceKeyEntry[] {
  const start = value.trimStart()
  if (start.startsWith(SERVICE_KEY_PREFIX)) {
    // Not echoed as a path below: the message would put the key in the log.
    throw new ConfigError('Invalid configuration: SERVICE_KEYS holds a service key; it takes the key\'s entry (its SHA-256), never the key')
  }
  const text = start.startsWith('[') || start.startsWith('{') ? value : readServiceKeysFile(value)
  let list: unknown
  try {
    list = JSON.parse(text)
  } catch {
    throw new ConfigError(`Invalid configuration: SERVICE_KEYS is not a JSON list of ${ENTRY_SHAPE}`)
  }
  if (!Array.isArray(list) || list.length === 0) {
    throw new ConfigError(`Invalid configuration: SERVICE_KEYS must list at least one ${ENTRY_SHAPE} (unset it to turn the /service/ routes off)`)
  }
  const entries = list.map((entry: unknown, index) => serviceKeyEntryAt(entry, index))
  assertUnique(entries.map(({ name }) => name), (name) => `names "${name}" twice`)
  // Two names for one key would leave which one acted to chance.
  assertUnique(entries.map(({ keySha256 }) => keySha256), (_, index) => `gives entry ${index} ("${entries[index]?.name ?? ''}") the keySha256 of an earlier entry`)
  return entries
}

function readServiceKeysFile (path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch (error) {
    throw new ConfigError(`Invalid configuration: SERVICE_KEYS is neither a JSON list nor a readable file (${(error as NodeJS.ErrnoException).code ?? 'unreadable'}: ${path})`)
  }
}

function serviceKeyEntryAt (entry: unknown, index: number): ServiceKeyEntry {
  const fields = (typeof entry === 'object' && entry !== null && !Array.isArray(entry) ? entry : {}) as Record<string, unknown>
  const { name, keySha256, scopes } = fields
  const where = `SERVICE_KEYS[${index}]`
  if (typeof name !== 'string' || !SERVICE_KEY_NAME_PATTERN.test(name)) {
    throw new ConfigError(`Invalid configuration: ${where} needs a "name" of ${SERVICE_KEY_NAME_RULE}`)
  }
  const named = `${where} ("${name}")`
  const unknownField = Object.keys(fields).find((field) => !['name', 'keySha256', 'scopes'].includes(field))
  if (unknownField !== undefined) {
    // A "key" field would mean the key itself was pasted in: the configuration holds digests only.
    throw new ConfigError(`Invalid configuration: ${named} has a field "${unknownField}"; an entry has only "name", "keySha256" and "scopes"`)
  }
  if (typeof keySha256 !== 'string' || !KEY_SHA256_PATTERN.test(keySha256)) {
    throw new ConfigError(`Invalid configuration: ${named} needs a "keySha256" of 64 hex digits (the SHA-256 of the key; npm run admin -- service-keys generate prints it)`)
  }
  return { name, keySha256: keySha256.toLowerCase(), scopes: scopesOf(scopes, named) }
}

function scopesOf (scopes: unknown, named: string): ServiceKeyScope[] {
  if (!Array.isArray(scopes) || scopes.length === 0) {
    throw new ConfigError(`Invalid configuration: ${named} needs "scopes", a non-empty list of ${SERVICE_KEY_SCOPES.join(', ')}`)
  }
  const unknown = scopes.find((scope) => !isServiceKeyScope(scope))
  if (unknown !== undefined) {
    throw new ConfigError(`Invalid configuration: ${named} has the unknown scope ${JSON.stringify(unknown)}; the scopes are ${SERVICE_KEY_SCOPES.join(', ')}`)
  }
  const known = scopes.filter(isServiceKeyScope)
  if (new Set(known).size !== known.length) throw new ConfigError(`Invalid configuration: ${named} lists a scope twice`)
  return known
}

function assertUnique (values: string[], problem: (value: string, index: number) => string): void {
  const seen = new Set<string>()
  values.forEach((value, index) => {
    if (seen.has(value)) throw new ConfigError(`Invalid configuration: SERVICE_KEYS ${problem(value, index)}`)
    seen.add(value)
  })
}
