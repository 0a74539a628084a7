import { elementById } from './dom.js'

export type Tone = 'info' | 'warning'

// One aria-live region tells screen readers (and everyone) what just happened.
const status = elementById('status', HTMLParagraphElement)

export function announce (text: string, tone: Tone = 'info'): void {
  // The same text twice in a row is not read again unless the region changes in between.
  status.textContent = ''
  status.classList.toggle('warning', tone === 'warning')
  status.textContent = text
}

export function clearAnnouncement (): void {
  status.textContent = ''
}
