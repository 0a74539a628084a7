// One event the webhook is posting: its stream entry, the body it posts, and how its attempts went.
export interface EventPosting {
  id: string
  fields: string[]
  body: string
  // POSTs this instance made, and how many of them the receiver refused for good.
  attempts: number
  refusals: number
}

// Stream ids are `<milliseconds>-<sequence>`, two integers the stream orders by.
function streamIdBigInts (id: string): [bigint, bigint] {
  const [ms = '0', sequence = '0'] = id.split('-')
  return [BigInt(ms), BigInt(sequence)]
}

function isLaterStreamId (id: string, other: string): boolean {
  const [ms, sequence] = streamIdBigInts(id)
  const [otherMs, otherSequence] = streamIdBigInts(other)
  return ms > otherMs || (ms === otherMs && sequence > otherSequence)
}

interface Parked {
  posting: EventPosting
  // When its next attempt is due, on the caller's monotonic clock.
  dueAtMs: number
}

// The events the receiver refused, set aside while the ones after them are delivered: each waits
// here for its next attempt. They stay pending in the consumer group (not acknowledged), so an
// instance that takes over the webhook reads them again; this only remembers their attempts.
// `capacity` bounds the memory it holds: when full, the webhook retries a refused event in line.
export class ParkedEvents {
  private readonly byId = new Map<string, Parked>()

  constructor (private readonly capacity: number) {}

  has (id: string): boolean {
    return this.byId.has(id)
  }

  // Parks the event (or moves its next attempt) until dueAtMs; false when it is not parked and
  // there is no room for it.
  park (posting: EventPosting, dueAtMs: number): boolean {
    if (!this.byId.has(posting.id) && this.byId.size >= this.capacity) return false
    this.byId.set(posting.id, { posting, dueAtMs })
    return true
  }

  // The latest entry parked, by stream id; undefined when none is.
  lastId (): string | undefined {
    let last: string | undefined
    for (const id of this.byId.keys()) if (last === undefined || isLaterStreamId(id, last)) last = id
    return last
  }

  remove (id: string): void {
    this.byId.delete(id)
  }

  // Another instance holds the webhook now: the parked events are its to read again.
  clear (): void {
    this.byId.clear()
  }

  // The events whose next attempt is due at nowMs, the longest due first.
  due (nowMs: number): EventPosting[] {
    return [...this.byId.values()]
      .filter((parked) => parked.dueAtMs <= nowMs)
      .sort((a, b) => a.dueAtMs - b.dueAtMs)
      .map((parked) => parked.posting)
  }

  // How long until the next attempt is due (0 when one is); Infinity when nothing is parked.
  msUntilNextDue (nowMs: number): number {
    let next = Infinity
    for (const parked of this.byId.values()) next = Math.min(next, parked.dueAtMs)
    return Math.max(0, next - nowMs)
  }
}
