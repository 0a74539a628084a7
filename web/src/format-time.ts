const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' })

// A <time> element: readable text, with the exact moment machine-readable.
export function timeElement (epochMs: number): HTMLTimeElement {
  const element = document.createElement('time')
  const moment = new Date(epochMs)
  element.dateTime = moment.toISOString()
  element.textContent = dateTime.format(moment)
  return element
}
