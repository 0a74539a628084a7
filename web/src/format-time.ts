const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' })
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' })

const MS_PER_MINUTE = 60_000
// Largest unit first: "3 days ago" rather than "4,320 minutes ago".
const UNITS: ReadonlyArray<[Intl.RelativeTimeFormatUnit, number]> = [
  ['day', 24 * 60 * MS_PER_MINUTE],
  ['hour', 60 * MS_PER_MINUTE],
  ['minute', MS_PER_MINUTE]
]

// A <time> element: readable text, with the exact moment machine-readable.
function timeElement (epochMs: number, text: string): HTMLTimeElement {
  const element = document.createElement('time')
  element.dateTime = new Date(epochMs).toISOString()
  element.textContent = text
  return element
}

export function absoluteTime (epochMs: number): HTMLTimeElement {
  return timeElement(epochMs, dateTime.format(new Date(epochMs)))
}

// "5 minutes ago", "yesterday"; under a minute "just now" (lastSeenAt is written once a minute).
export function timeAgo (epochMs: number, now = Date.now()): HTMLTimeElement {
  const elapsed = Math.max(0, now - epochMs)
  const unit = UNITS.find(([, unitMs]) => elapsed >= unitMs)
  if (unit === undefined) return timeElement(epochMs, 'just now')
  return timeElement(epochMs, relative.format(-Math.floor(elapsed / unit[1]), unit[0]))
}
