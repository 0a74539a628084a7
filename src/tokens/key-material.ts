import { createPrivateKey, createPublicKey } from 'node:crypto'

// An HMAC secret must be known only to those who sign. A public key pasted where a secret goes
// (JWT_SECRET, a JWT_KEYS "secret", the plugin's jwtSecret) is published material: anyone could
// sign HS256 tokens with it. So is a JWK, and a key's DER in base64 or hex, or a whole PEM in
// base64 (as a Kubernetes secret holds one). A random secret is none of these.

const HEX_PATTERN = /^(?:[0-9A-Fa-f]{2})+$/
// base64 and base64url, with or without padding and line breaks.
const BASE64_PATTERN = /^[A-Za-z0-9+/_\-\s]+={0,2}$/

const DER_PUBLIC_TYPES = ['spki', 'pkcs1'] as const
const DER_PRIVATE_TYPES = ['pkcs8', 'pkcs1', 'sec1'] as const

function isJwk (value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'kty' in value
}

function jwkKind (text: string): string | undefined {
  const trimmed = text.trim()
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) return undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(trimmed)
  } catch {
    return undefined
  }
  if (isJwk(parsed)) return 'a JWK'
  const keys: unknown = Array.isArray(parsed) ? parsed : (parsed as { keys?: unknown } | null)?.keys
  return Array.isArray(keys) && keys.some(isJwk) ? 'a JWK Set' : undefined
}

function parsesAsDerKey (der: Buffer): boolean {
  for (const type of DER_PUBLIC_TYPES) {
    try {
      createPublicKey({ key: der, format: 'der', type })
      return true
    } catch {}
  }
  for (const type of DER_PRIVATE_TYPES) {
    try {
      createPrivateKey({ key: der, format: 'der', type })
      return true
    } catch {}
  }
  return false
}

// The bytes a secret written as hex or base64 would stand for.
function decodings (text: string): Array<[string, Buffer]> {
  const compact = text.replace(/\s+/g, '')
  const found: Array<[string, Buffer]> = []
  if (HEX_PATTERN.test(compact)) found.push(['hex', Buffer.from(compact, 'hex')])
  // Node's base64 decoder reads the base64url alphabet too.
  if (BASE64_PATTERN.test(text)) found.push(['base64', Buffer.from(compact, 'base64')])
  return found
}

// What kind of key material `secret` is ("a PEM block", "a JWK", "a DER key in base64", ...), or
// undefined for a secret. Never says what the material is: only its kind.
export function keyMaterialKind (secret: string): string | undefined {
  if (secret.includes('-----BEGIN')) return 'a PEM block'
  const jwk = jwkKind(secret)
  if (jwk !== undefined) return jwk
  for (const [encoding, bytes] of decodings(secret)) {
    if (bytes.toString('latin1').includes('-----BEGIN')) return `a PEM block in ${encoding}`
    if (parsesAsDerKey(bytes)) return `a DER key in ${encoding}`
  }
  return undefined
}

// The message's end, for whoever meets it: what a secret is instead.
export const SECRET_ADVICE = 'an HS256 secret is random bytes that only the auth server and its services hold (openssl rand -base64 48); to let others verify tokens with a public key, use ACCESS_TOKEN_ALG=EdDSA or ES256'
