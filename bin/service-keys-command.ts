import { newServiceKey, serviceKeyEntry } from '../src/service-keys/service-key.js'
import { isServiceKeyScope, SERVICE_KEY_SCOPES, type ServiceKeyScope } from '../src/service-keys/service-key-scopes.js'

export interface GeneratedServiceKey {
  // What stdout gets: the key on the first line, its SERVICE_KEYS entry on the second.
  output: string
  // What stderr gets: that the key is shown once, and where each line goes.
  advice: string
}

// The option's problem in one sentence, or the scopes; the same rules SERVICE_KEYS is checked by.
export function serviceKeyScopesOf (option: string | undefined): ServiceKeyScope[] | string {
  const listed = (option ?? '').split(',').map((scope) => scope.trim()).filter((scope) => scope !== '')
  if (listed.length === 0) return `--scopes needs a comma-separated list of ${SERVICE_KEY_SCOPES.join(', ')}`
  const unknown = listed.find((scope) => !isServiceKeyScope(scope))
  if (unknown !== undefined) return `--scopes: unknown scope "${unknown}"; the scopes are ${SERVICE_KEY_SCOPES.join(', ')}`
  const scopes = listed.filter(isServiceKeyScope)
  if (new Set(scopes).size !== scopes.length) return '--scopes lists a scope twice'
  return scopes
}

// `service-keys generate`: a new key from the CSPRNG and its entry. The key is printed here and
// nowhere else: the server keeps its digest only, so a lost key is replaced, never recovered.
export function generateServiceKey (name: string, scopes: readonly ServiceKeyScope[]): GeneratedServiceKey {
  const key = newServiceKey()
  const entry = JSON.stringify(serviceKeyEntry(name, key, scopes))
  const advice = `Line 1 is the service key of "${name}": it is shown this once and stored nowhere, so give it now to ` +
    'that backend alone, which sends it as "Authorization: Bearer <key>". Line 2 is its SERVICE_KEYS entry (the key\'s ' +
    'SHA-256, not the key): add it to SERVICE_KEYS on every instance (docs/api.md, "Service keys").'
  return { output: `${key}\n${entry}`, advice }
}
