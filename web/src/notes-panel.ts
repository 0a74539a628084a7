import type { Wordings } from './error-messages.js'
import { focusNotesHeading, hideNotes, markNotesLoading, showNotes } from './note-list.js'
import { addNote, deleteNote, listNotes, type Note } from './notes-api.js'
import { AuthError, ERROR_CODES, type AuthClient } from './sdk.js'
import { announce } from './status.js'

// Reports a failed request the way the page does (a message, or the login form when the
// session has ended).
export type FailureReporter = (error: unknown, wordings?: Wordings) => void

const NOTE_WORDINGS: Wordings = { [ERROR_CODES.notFound]: 'That note no longer exists.' }

function isNotFound (error: unknown): boolean {
  return error instanceof AuthError && error.status === 404
}

// The signed-in view's panel on the example resource: the user's notes, a form to add one, a
// delete button per note.
export class NotesPanel {
  constructor (private readonly client: AuthClient, private readonly reportFailure: FailureReporter) {}

  // A 404 for the list means the server runs without the example routes: no panel.
  async load (): Promise<void> {
    markNotesLoading(true)
    try {
      showNotes(await listNotes(this.client), async (note) => { await this.remove(note) })
    } catch (error) {
      if (isNotFound(error)) hideNotes()
      else this.reportFailure(error)
    } finally {
      markNotesLoading(false)
    }
  }

  hide (): void {
    hideNotes()
  }

  async add (text: string): Promise<boolean> {
    try {
      await addNote(this.client, text)
    } catch (error) {
      this.reportFailure(error, NOTE_WORDINGS)
      return false
    }
    announce('Note added.')
    await this.load()
    return true
  }

  async remove (note: Note): Promise<void> {
    try {
      await deleteNote(this.client, note.id)
      announce('Note deleted.')
    } catch (error) {
      this.reportFailure(error, NOTE_WORDINGS)
      // Deleted elsewhere already: the list is out of date. Any other failure changed nothing.
      if (!isNotFound(error)) return
    }
    await this.load()
    focusNotesHeading()
  }
}
