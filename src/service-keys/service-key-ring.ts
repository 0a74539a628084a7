import { timingSafeEqual } from 'node:crypto'
import { serviceKeyDigest, type ServiceKeyEntry } from './service-key.js'
import type { ServiceKeyScope } from './service-key-scopes.js'

// Who a request's `Authorization: Bearer <key>` names among the configured service keys.

export interface ServiceKeyIdentity {
  name: string
  scopes: readonly ServiceKeyScope[]
}

// missing: no Authorization header; malformed: not `Bearer <token68>`; session_token: a JWT,
// which a client may send as Bearer to the /auth routes, but which is never a service key;
// unknown: a token no configured digest matches.
export type ServiceKeyRefusal = 'missing' | 'malformed' | 'session_token' | 'unknown'

export type ServiceKeyCheck = { identity: ServiceKeyIdentity } | { refusal: ServiceKeyRefusal }

// RFC 6750's b64token, bounded: a generated key is 50 characters; 512 leave room for keys made
// otherwise, and nothing longer is hashed.
const BEARER_PATTERN = /^Bearer +([A-Za-z0-9\-._~+/]{1,512}=*) *$/i
const JWT_PATTERN = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/

interface ConfiguredKey {
  identity: ServiceKeyIdentity
  digest: Buffer
}

export class ServiceKeyRing {
  private readonly keys: readonly ConfiguredKey[]

  constructor (entries: readonly ServiceKeyEntry[]) {
    this.keys = entries.map(({ name, keySha256, scopes }) => ({ identity: { name, scopes }, digest: Buffer.from(keySha256, 'hex') }))
  }

  check (authorization: string | undefined): ServiceKeyCheck {
    if (authorization === undefined || authorization === '') return { refusal: 'missing' }
    const presented = BEARER_PATTERN.exec(authorization)?.[1]
    if (presented === undefined) return { refusal: 'malformed' }
    const identity = this.identify(serviceKeyDigest(presented))
    if (identity !== undefined) return { identity }
    return { refusal: JWT_PATTERN.test(presented) ? 'session_token' : 'unknown' }
  }

  // Every digest is compared, in constant time, whatever matched before: the answer's timing
  // says neither whether a key matched nor which one.
  private identify (digest: Buffer): ServiceKeyIdentity | undefined {
    let matched: ServiceKeyIdentity | undefined
    for (const key of this.keys) {
      const equal = timingSafeEqual(digest, key.digest)
      matched = equal ? key.identity : matched
    }
    return matched
  }
}
