import type { Redis } from 'ioredis'
import type { Clock } from './code-store.ts'

// How many codes one phone may be sent in a window: each text costs money, and a phone number
// must not be flooded by whoever types it in. Counted per fixed window of the clock, in a key of
// its own per window, so a test moves the clock instead of waiting for the window to pass.

export const CODES_PER_WINDOW = 5
export const CODE_WINDOW_SECONDS = 15 * 60
const MS_PER_SECOND = 1000

export interface CodeRequestBudgetOptions {
  /** Prepended to every key: `<keyPrefix>code-requests:<phone>:<window>`. */
  keyPrefix: string
  /** @default 5 */
  codesPerWindow?: number
  /** @default 900 */
  windowSeconds?: number
  /** @default () => Date.now() */
  clock?: Clock
}

/** Allowed, or refused until the window ends. */
export type BudgetAnswer = { allowed: true } | { allowed: false, retryAfterSeconds: number }

export class CodeRequestBudget {
  private readonly redis: Redis
  private readonly keyPrefix: string
  private readonly codesPerWindow: number
  private readonly windowMs: number
  private readonly clock: Clock

  constructor (redis: Redis, options: CodeRequestBudgetOptions) {
    this.redis = redis
    this.keyPrefix = options.keyPrefix
    this.codesPerWindow = options.codesPerWindow ?? CODES_PER_WINDOW
    this.windowMs = (options.windowSeconds ?? CODE_WINDOW_SECONDS) * MS_PER_SECOND
    this.clock = options.clock ?? Date.now
  }

  /** Counts one code for `phone` and says whether it may be sent. */
  async take (phone: string): Promise<BudgetAnswer> {
    const now = this.clock()
    const window = Math.floor(now / this.windowMs)
    const key = `${this.keyPrefix}code-requests:${phone}:${window}`
    // The key outlives its window by Redis' expiry alone: the window's index decides, not the TTL.
    const [counted, expiring] = await this.redis.multi().incr(key).pexpire(key, this.windowMs).exec() ?? []
    const failure = counted?.[0] ?? expiring?.[0]
    if (failure !== null && failure !== undefined) throw failure
    if (Number(counted?.[1]) <= this.codesPerWindow) return { allowed: true }
    const windowEndsAt = (window + 1) * this.windowMs
    return { allowed: false, retryAfterSeconds: Math.ceil((windowEndsAt - now) / MS_PER_SECOND) }
  }
}
