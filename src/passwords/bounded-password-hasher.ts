import { NO_AUTH_EVENTS, type AuthEvents, type PasswordHashOperation } from '../metrics/auth-events.js'
import { HashConcurrencyLimit, type HashLoad } from './hash-concurrency-limit.js'
import { hashPassword, verifyAgainstDummy, verifyPassword } from './password-hasher.js'

// Hashes that may wait per slot. An argon2 verification takes about 25 ms of a core with
// ARGON2_OPTIONS, so the last one queued waits some 4 × 25 ms = 0.1 s: unnoticed by a person
// signing in, and room for the usual bunching of requests. A longer queue would not serve more
// logins per second, only turn a burst into seconds of waiting for everyone; past it the
// excess is answered 503 at once.
export const QUEUED_HASHES_PER_SLOT = 4
const MS_PER_SECOND = 1000

// The password hashing of the request path: the plain functions of password-hasher.ts, run
// within one instance-wide bound so that a burst of logins cannot take every core.
export class BoundedPasswordHasher {
  private readonly limit: HashConcurrencyLimit

  constructor (concurrency: number, private readonly events: AuthEvents = NO_AUTH_EVENTS) {
    this.limit = new HashConcurrencyLimit({ concurrency, queueLength: concurrency * QUEUED_HASHES_PER_SLOT })
  }

  // Read when /metrics is scraped.
  get load (): HashLoad {
    return this.limit
  }

  async hash (password: string): Promise<string> {
    return await this.bounded('hash', async () => await hashPassword(password))
  }

  async verify (hash: string, password: string): Promise<boolean> {
    return await this.bounded('verify', async () => await verifyPassword(hash, password))
  }

  // Within the same bound as verify(), or unknown accounts would answer at another speed.
  async verifyAgainstDummy (password: string): Promise<void> {
    await this.bounded('verify_dummy', async () => { await verifyAgainstDummy(password) })
  }

  private async bounded<T> (operation: PasswordHashOperation, work: () => Promise<T>): Promise<T> {
    const queuedAtMs = performance.now()
    return await this.limit.run(async () => {
      const startedAtMs = performance.now()
      try {
        return await work()
      } finally {
        this.events.passwordHashed(operation, (startedAtMs - queuedAtMs) / MS_PER_SECOND, (performance.now() - startedAtMs) / MS_PER_SECOND)
      }
    })
  }
}
