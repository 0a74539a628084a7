import { createSigner, createVerifier } from 'fast-jwt'
import { systemClock, type Clock } from '../clock.js'
import { ConfigError } from '../config/config-error.js'
import { AccessTokenExpiredError, InvalidTokenError } from '../errors/api-errors.js'
import { keyMaterialKind, SECRET_ADVICE } from './key-material.js'
import { asSessionClaims, MAX_TOKEN_LENGTH, type SessionClaims } from './session-claims.js'
import { signingKeyIndex, signingMaterial, verifyingMaterial, type SigningKey, type SigningKeys, type TokenAlgorithm } from './signing-keys.js'
import { VerifiedTokens } from './verified-tokens.js'

const VERIFIED_TOKEN_CACHE_SIZE = 10_000
const MS_PER_SECOND = 1000

export interface SessionTokenSettings {
  // The first signs, all verify.
  keys: SigningKeys
  // ACCESS_TOKEN_ALG: every key is of this algorithm, and tokens of any other are refused.
  algorithm?: TokenAlgorithm
  // Refresh strategy: access tokens carry `exp` this many seconds after `iat`; undefined: no `exp`.
  accessTokenTtlSeconds?: number
  // What `exp` is checked against.
  clock?: Clock
}

export interface SessionTokenCodec {
  // False where the signing key was given as a public key alone (a service that only verifies).
  readonly canSign: boolean
  // Throws where `canSign` is false.
  sign: (claims: SessionClaims) => string
  // The token's claims; throws 1001 for anything we did not issue, 1003 for an expired access token.
  verify: (token: string, nowMs?: number) => SessionClaims
  // True for claims `verify` returned from a token signed with a key older than the signing one:
  // the client should be handed the same claims signed with the current key.
  signedWithOlderKey: (claims: SessionClaims) => boolean
}

type Verifier = (token: string) => unknown

// The token header's `kid`, read only for a token not verified before; undefined when absent or unreadable.
function headerKid (token: string): string | undefined {
  try {
    const header: unknown = JSON.parse(Buffer.from(token.slice(0, token.indexOf('.')), 'base64url').toString())
    const kid = (header as { kid?: unknown } | null)?.kid
    return typeof kid === 'string' ? kid : undefined
  } catch {
    return undefined
  }
}

// Whoever built the keys (the configuration checks them first, with messages naming the
// variable), a public key never becomes an HMAC secret here: anyone could sign with it. fast-jwt 6
// takes keys as strings or Buffers only (a KeyObject is refused by its signer and verifier); with
// the algorithm pinned it uses an HS256 key as the HMAC secret as given, and an EdDSA or ES256
// PEM only for its own algorithm (it detects the PEM's type and refuses a mismatch).
function assertSecretsAreSecret (keys: SigningKeys): void {
  for (const key of keys) {
    const kind = key.secret === undefined ? undefined : keyMaterialKind(key.secret)
    if (kind !== undefined) {
      throw new ConfigError(`Invalid signing key: the key${key.kid === undefined ? '' : ` (kid "${key.kid}")`} holds key material (${kind}), not a secret: ${SECRET_ADVICE}`)
    }
  }
}

// One algorithm, pinned both ways: tokens with `alg: none`, RS256, HS256 under an EdDSA key
// (the public key used as an HMAC secret) or anything else are refused before their claims are
// read. HS256 and EdDSA signing is deterministic (claims in a fixed order): the same claims give
// the same token, which is how racing requests are handed one token. ES256 signatures are
// randomized: racing requests get tokens with the same claims, each valid, not the same string.
export function sessionTokenCodec ({ keys, algorithm = 'HS256', accessTokenTtlSeconds, clock = systemClock }: SessionTokenSettings): SessionTokenCodec {
  assertSecretsAreSecret(keys)
  const signingIndex = signingKeyIndex(keys)
  const signingKey = keys[signingIndex] ?? keys[0]
  const signingKeyMaterial = signingMaterial(signingKey)
  const signer = signingKeyMaterial === undefined
    ? undefined
    : createSigner({ key: signingKeyMaterial, algorithm, ...(signingKey.kid === undefined ? {} : { kid: signingKey.kid }) })
  // fast-jwt's own cache would hash every token with SHA-256 to look it up, which costs about
  // what an HS256 check costs: verified tokens are kept by their string instead. fast-jwt
  // takes only a fixed time to check `exp` against, not a clock: `exp` is checked below, by ours.
  const verifierOf = (key: SigningKey): Verifier =>
    createVerifier({ key: verifyingMaterial(key), algorithms: [algorithm], cache: false, ignoreExpiration: true })
  // A token of a key listed after the signing one is renewed; of one before (a coming key), never:
  // instances in the middle of a rolling rotation must not hand tokens back and forth.
  const verifiers = keys.map((key, index) => ({ key, renew: index > signingIndex, verify: verifierOf(key) }))
  const verifierByKid = new Map(verifiers.flatMap((verifier) => verifier.key.kid === undefined ? [] : [[verifier.key.kid, verifier]]))
  const verified = new VerifiedTokens(VERIFIED_TOKEN_CACHE_SIZE)
  // Claims objects are the ones `verified` hands out again for the same token string.
  const fromOlderKeys = new WeakSet<SessionClaims>()
  const accessTokensExpire = accessTokenTtlSeconds !== undefined

  // Refresh strategy: "refresh and retry", which a client must tell from "log in again".
  // A sliding token never has `exp`: one past it was not issued by this strategy.
  function expired (): Error {
    return accessTokensExpire ? new AccessTokenExpiredError() : new InvalidTokenError()
  }

  // A token naming a kid is checked with that key only; one without (signed before JWT_KEYS
  // replaced JWT_SECRET) with each key in turn: a handful of HMACs, once per token string.
  function verifyWithKeys (token: string): { payload: unknown, renew: boolean } {
    const kid = headerKid(token)
    const candidates = kid === undefined ? verifiers : [verifierByKid.get(kid)].filter((verifier) => verifier !== undefined)
    for (const { renew, verify } of candidates) {
      try {
        return { payload: verify(token), renew }
      } catch {}
    }
    throw new InvalidTokenError()
  }

  function verifySignature (token: string): SessionClaims {
    const { payload, renew } = verifyWithKeys(token)
    const claims = asSessionClaims(payload)
    if (claims === undefined) throw new InvalidTokenError()
    // An access token of the refresh strategy always carries `exp`: one without it could never expire.
    if (accessTokensExpire && claims.exp === undefined) throw new InvalidTokenError()
    if (renew) fromOlderKeys.add(claims)
    return claims
  }

  return {
    canSign: signer !== undefined,
    sign: (claims) => {
      if (signer === undefined) throw new Error('Given the signing key\'s public key only: tokens are verified here, never signed')
      return signer(accessTokenTtlSeconds === undefined ? claims : { ...claims, exp: claims.iat + accessTokenTtlSeconds })
    },
    verify: (token, nowMs = clock()) => {
      // Oversized input is refused before the JWT parser spends time on it.
      if (token.length > MAX_TOKEN_LENGTH) throw new InvalidTokenError()
      let claims = verified.get(token)
      if (claims === undefined) {
        claims = verifySignature(token)
        verified.add(token, claims)
      }
      // As fast-jwt would decide it, at every use and only once the signature has checked out:
      // expired once the `exp` second has passed. (`iat` and `nbf`, checked against the past,
      // cannot become invalid as time goes on.)
      if (claims.exp !== undefined && nowMs > claims.exp * MS_PER_SECOND) throw expired()
      return claims
    },
    signedWithOlderKey: (claims) => fromOlderKeys.has(claims)
  }
}
