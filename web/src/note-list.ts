import { dangerButton, elementById, whileBusy } from './dom.js'
import { absoluteTime } from './format-time.js'
import type { Note } from './notes-api.js'

export type DeleteHandler = (note: Note) => Promise<void>

// How much of a note a delete button's accessible name quotes.
const LABEL_EXCERPT_LENGTH = 40

const panel = elementById('notes-panel', HTMLElement)
const heading = elementById('notes-heading', HTMLHeadingElement)
const list = elementById('note-list', HTMLUListElement)
const empty = elementById('notes-empty', HTMLParagraphElement)

export function showNotes (notes: readonly Note[], onDelete: DeleteHandler): void {
  list.replaceChildren(...notes.map((note) => noteItem(note, onDelete)))
  empty.hidden = notes.length > 0
  panel.hidden = false
}

// While the list is being fetched: assistive technology (and the browser tests) wait for it.
export function markNotesLoading (loading: boolean): void {
  if (loading) panel.setAttribute('aria-busy', 'true')
  else panel.removeAttribute('aria-busy')
}

// Signed out, or a server without the example routes: no panel, and no notes left in the page.
export function hideNotes (): void {
  panel.hidden = true
  list.replaceChildren()
}

// After a delete the focused button is gone with its list item.
export function focusNotesHeading (): void {
  heading.focus()
}

function excerpt (text: string): string {
  return text.length > LABEL_EXCERPT_LENGTH ? `${text.slice(0, LABEL_EXCERPT_LENGTH)}…` : text
}

// The note's text is the user's: it only ever goes in as textContent (and an attribute value).
function noteItem (note: Note, onDelete: DeleteHandler): HTMLLIElement {
  const item = document.createElement('li')
  item.className = 'note'
  item.dataset.noteId = String(note.id)

  const text = document.createElement('p')
  text.className = 'note-text'
  text.textContent = note.text

  const added = document.createElement('p')
  added.className = 'note-time'
  added.append('Added ', absoluteTime(note.createdAt))

  const details = document.createElement('div')
  details.className = 'note-details'
  details.append(text, added)

  const remove = dangerButton('Delete', `Delete the note "${excerpt(note.text)}"`,
    (button) => { void whileBusy([button], async () => { await onDelete(note) }) })

  item.append(details, remove)
  return item
}
