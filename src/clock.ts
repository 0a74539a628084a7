// Where code that decides by the time reads it: milliseconds since the epoch. Production uses
// the system clock; tests pass one they move, so TTL, deadline, grace and reissue arithmetic
// is checked without waiting for it.
export type Clock = () => number

export const systemClock: Clock = () => Date.now()
