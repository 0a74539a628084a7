import type { Clock } from '../../src/clock.js'

// A clock that stands still until the test moves it: the time arithmetic under test (TTL,
// deadline, grace, reissue) sees exactly the moments the test names, however slow the machine.
// It starts at the real time, so what Redis and PostgreSQL store next to it looks as usual.
// Redis' own expiry does not follow it: a key's TTL still runs down in real time.
export class TestClock {
  private nowMs: number

  constructor (startMs = Date.now()) {
    this.nowMs = startMs
  }

  readonly now: Clock = () => this.nowMs

  advance (ms: number): void {
    if (ms < 0) throw new Error('a clock does not go back')
    this.nowMs += ms
  }

  // To an absolute moment (ms since the epoch), which must not be in the clock's past.
  advanceTo (epochMs: number): void {
    this.advance(epochMs - this.nowMs)
  }
}
