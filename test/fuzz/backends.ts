import { newServiceKey, serviceKeyEntry } from '../../src/service-keys/service-key.js'
import { SERVICE_KEY_SCOPES, type ServiceKeyScope } from '../../src/service-keys/service-key-scopes.js'
import type { BackendName } from './request-spec.js'

// The backends of a fuzz run: services in another language that call the /service/ routes with
// a key of their own (docs/api.md, "Service keys"). `backend` holds every scope, so it may start
// and end any user's sessions, the victim's included; `support` may only read them.
const SCOPES: Record<BackendName, readonly ServiceKeyScope[]> = {
  backend: SERVICE_KEY_SCOPES,
  support: ['sessions:read']
}

export type ServiceKeys = Readonly<Record<BackendName, string>>

// New keys for one app, and the SERVICE_KEYS that lists them (by their digests only).
export function newBackends (): { serviceKeys: ServiceKeys, env: { SERVICE_KEYS: string } } {
  const serviceKeys = { backend: newServiceKey(), support: newServiceKey() }
  const entries = (['backend', 'support'] as const).map((name) => serviceKeyEntry(name, serviceKeys[name], SCOPES[name]))
  return { serviceKeys, env: { SERVICE_KEYS: JSON.stringify(entries) } }
}
