import { availableParallelism } from 'node:os'
import { passwordHashingBusy } from '../errors/api-errors.js'

// A queued hash waits a few hash-times (tens of milliseconds each), so one second later the
// queue has turned over many times; the shortest wait a Retry-After header can say.
export const BUSY_RETRY_AFTER_SECONDS = 1

// PASSWORD_HASH_CONCURRENCY's default: one hash per core, as more would only share the same cores.
export function defaultHashConcurrency (): number {
  return availableParallelism()
}

export interface HashConcurrencyOptions {
  // Hashes computed at once; more would only share the same cores.
  concurrency: number
  // Hashes waiting for a slot; past that a hash is refused at once.
  queueLength: number
}

// What the limit is doing now, and how many hashes it refused since it was made.
export interface HashLoad {
  // Hashes computed at once.
  readonly slots: number
  readonly running: number
  readonly queued: number
  readonly refused: number
}

// Bounds the argon2 work of one instance. A burst beyond its slots and queue is answered 503
// "1503" straight away, instead of every request, the owners' logins included, waiting behind
// it for seconds. (cockatiel's bulkhead does this too, but its current major needs Node 22 and
// brings a whole resilience library for these few lines.)
export class HashConcurrencyLimit implements HashLoad {
  private slotsTaken = 0
  private refusedCount = 0
  // Each entry starts one queued hash; release() hands it the slot just freed.
  private readonly queue: Array<() => void> = []

  constructor (private readonly options: HashConcurrencyOptions) {
    const { concurrency, queueLength } = options
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new RangeError(`HashConcurrencyLimit: concurrency must be a positive integer, got ${concurrency}`)
    }
    if (!Number.isInteger(queueLength) || queueLength < 0) {
      throw new RangeError(`HashConcurrencyLimit: queueLength must be a non-negative integer, got ${queueLength}`)
    }
  }

  get slots (): number {
    return this.options.concurrency
  }

  get running (): number {
    return this.slotsTaken
  }

  get queued (): number {
    return this.queue.length
  }

  get refused (): number {
    return this.refusedCount
  }

  // Runs `hash` once a slot is free. Throws 503 "1503" (with retryAfterSeconds) without
  // running it when every slot is busy and the queue is full.
  async run<T> (hash: () => Promise<T>): Promise<T> {
    await this.acquire()
    try {
      return await hash()
    } finally {
      this.release()
    }
  }

  private async acquire (): Promise<void> {
    if (this.slotsTaken < this.options.concurrency) {
      this.slotsTaken++
      return
    }
    if (this.queue.length >= this.options.queueLength) {
      this.refusedCount++
      throw passwordHashingBusy(BUSY_RETRY_AFTER_SECONDS)
    }
    await new Promise<void>((resolve) => { this.queue.push(resolve) })
  }

  // The slot passes straight to the next in the queue, so `slotsTaken` never dips and a newcomer
  // cannot take it ahead of those already waiting.
  private release (): void {
    const next = this.queue.shift()
    if (next === undefined) this.slotsTaken--
    else next()
  }
}
