import { timingSafeEqual } from 'node:crypto'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

export const CSRF_HEADER = 'x-csrf-token'

export interface CsrfEvidence {
  method: string
  // The origin this server is reached at, e.g. "https://auth.example.com".
  ownOrigin: string
  origin?: string
  referer?: string
  headerToken?: string
  // The CSRF cookie named like the cookie that authenticated the request (both `__Host-` or both plain).
  cookieToken?: string
}

// The serialised origin of a URL; undefined for anything unparsable or opaque ("null").
function originOf (url: string): string | undefined {
  try {
    const { origin } = new URL(url)
    return origin === 'null' ? undefined : origin
  } catch {
    return undefined
  }
}

function sameSecret (a: string, b: string): boolean {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}

// A cookie is sent by the browser whoever built the request, so an unsafe request that is
// authenticated by the cookie alone must prove it comes from one of our pages: a trusted
// Origin (or Referer, which some clients send instead), or the double-submit token that only
// a page able to read our cookies can copy into a header.
export function hasCsrfProof (evidence: CsrfEvidence, trustedOrigins: readonly string[]): boolean {
  if (SAFE_METHODS.has(evidence.method)) return true
  const { headerToken, cookieToken } = evidence
  if (headerToken !== undefined && cookieToken !== undefined && cookieToken.length > 0 &&
      sameSecret(headerToken, cookieToken)) {
    return true
  }
  // Compared as parsed origins, so "http://host:80" and "http://HOST" match "http://host".
  const claimed = originOf(evidence.origin ?? evidence.referer ?? '')
  if (claimed === undefined) return false
  return claimed === originOf(evidence.ownOrigin) || trustedOrigins.includes(claimed)
}
