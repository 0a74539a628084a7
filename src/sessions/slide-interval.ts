// A slide is throttled: a session is extended once it has lost this share of its TTL, at most
// this long, so most requests write nothing and a session's remaining TTL stays within a tenth
// of the full one.
export const MAX_SLIDE_INTERVAL_MS = 60_000
export const SLIDE_FRACTION = 10

export function slideIntervalMs (ttlMs: number): number {
  return Math.min(MAX_SLIDE_INTERVAL_MS, ttlMs / SLIDE_FRACTION)
}
