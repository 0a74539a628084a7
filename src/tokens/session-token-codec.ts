import { createSigner, createVerifier } from 'fast-jwt'
import { systemClock, type Clock } from '../clock.js'
import { AccessTokenExpiredError, InvalidTokenError } from '../errors/api-errors.js'
import { asSessionClaims, MAX_TOKEN_LENGTH, type SessionClaims } from './session-claims.js'
import { VerifiedTokens } from './verified-tokens.js'

const VERIFIED_TOKEN_CACHE_SIZE = 10_000
const ALGORITHM = 'HS256'
const MS_PER_SECOND = 1000

export interface SessionTokenSettings {
  secret: string
  // Refresh strategy: access tokens carry `exp` this many seconds after `iat`; undefined: no `exp`.
  accessTokenTtlSeconds?: number
  // What `exp` is checked against.
  clock?: Clock
}

export interface SessionTokenCodec {
  sign: (claims: SessionClaims) => string
  // The token's claims; throws 1001 for anything we did not issue, 1003 for an expired access token.
  verify: (token: string, nowMs?: number) => SessionClaims
}

// One algorithm, pinned both ways: tokens with `alg: none`, RS256 or anything else are refused
// before their claims are read. Signing is deterministic (HS256, claims in a fixed order): the
// same claims give the same token, which is how racing requests are handed one token.
export function sessionTokenCodec ({ secret, accessTokenTtlSeconds, clock = systemClock }: SessionTokenSettings): SessionTokenCodec {
  const signer = createSigner({ key: secret, algorithm: ALGORITHM })
  // fast-jwt's own cache would hash every token with SHA-256 to look it up, which costs about
  // what the HMAC it saves costs: verified tokens are kept by their string instead. fast-jwt
  // takes only a fixed time to check `exp` against, not a clock: `exp` is checked below, by ours.
  const verifier = createVerifier({ key: secret, algorithms: [ALGORITHM], cache: false, ignoreExpiration: true })
  const verified = new VerifiedTokens(VERIFIED_TOKEN_CACHE_SIZE)
  const accessTokensExpire = accessTokenTtlSeconds !== undefined

  // Refresh strategy: "refresh and retry", which a client must tell from "log in again".
  // A sliding token never has `exp`: one past it was not issued by this strategy.
  function expired (): Error {
    return accessTokensExpire ? new AccessTokenExpiredError() : new InvalidTokenError()
  }

  function verifySignature (token: string): SessionClaims {
    let payload: unknown
    try {
      payload = verifier(token)
    } catch {
      throw new InvalidTokenError()
    }
    const claims = asSessionClaims(payload)
    if (claims === undefined) throw new InvalidTokenError()
    // An access token of the refresh strategy always carries `exp`: one without it could never expire.
    if (accessTokensExpire && claims.exp === undefined) throw new InvalidTokenError()
    return claims
  }

  return {
    sign: (claims) => signer(accessTokenTtlSeconds === undefined ? claims : { ...claims, exp: claims.iat + accessTokenTtlSeconds }),
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
    }
  }
}
