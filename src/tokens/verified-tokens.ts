import type { SessionClaims } from './session-claims.js'

// Tokens whose signature and claims were checked, by their exact string: a client sends the
// same token with every request, so the next one is a Map lookup instead of an HMAC, a JSON
// parse and a shape check. Keyed by the string itself, not a digest of it: a hit means this very
// string passed verification before, which is all the signature check would say again. Only
// `exp` moves with time, and it is checked at every hit.
export class VerifiedTokens {
  private readonly entries = new Map<string, SessionClaims>()

  constructor (private readonly maxEntries: number) {}

  get (token: string): SessionClaims | undefined {
    return this.entries.get(token)
  }

  add (token: string, claims: SessionClaims): void {
    // The oldest entry goes first: a Map iterates in insertion order.
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value
      if (oldest !== undefined) this.entries.delete(oldest)
    }
    this.entries.set(token, claims)
  }
}
