import { passwordHashingBusy } from '../errors/api-errors.js'

// A queued hash waits a few hash-times (tens of milliseconds each), so one second later the
// queue has turned over many times; the shortest wait a Retry-After header can say.
export const BUSY_RETRY_AFTER_SECONDS = 1

export interface HashConcurrencyOptions {
  // Hashes computed at once; more would only share the same cores.
  concurrency: number
  // Hashes waiting for a slot; past that a hash is refused at once.
  queueLength: number
}

// Bounds the argon2 work of one instance. A burst beyond its slots and queue is answered 503
// "1503" straight away, instead of every request, the owners' logins included, waiting behind
// it for seconds. (cockatiel's bulkhead does this too, but its current major needs Node 22 and
// brings a whole resilience library for these few lines.)
export class HashConcurrencyLimit {
  private running = 0
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
    if (this.running < this.options.concurrency) {
      this.running++
      return
    }
    if (this.queue.length >= this.options.queueLength) throw passwordHashingBusy(BUSY_RETRY_AFTER_SECONDS)
    await new Promise<void>((resolve) => { this.queue.push(resolve) })
  }

  // The slot passes straight to the next in the queue, so `running` never dips and a newcomer
  // cannot take it ahead of those already waiting.
  private release (): void {
    const next = this.queue.shift()
    if (next === undefined) this.running--
    else next()
  }
}
