import { authErrorFrom, type AuthClient } from './sdk.js'

// The server's example resource, behind the same session check as every API route: a 401
// here ends the page's session through the SDK's onSessionEnded like any other request.
export interface Note {
  id: number
  text: string
  // Milliseconds since the epoch (the server sends an ISO date).
  createdAt: number
}

function unexpectedNote (): Error {
  return new Error('The server answered with an unexpected note')
}

function asNote (value: unknown): Note {
  if (typeof value !== 'object' || value === null) throw unexpectedNote()
  const { id, text, createdAt } = value as Record<string, unknown>
  const createdAtMs = typeof createdAt === 'string' ? Date.parse(createdAt) : Number.NaN
  if (typeof id !== 'number' || typeof text !== 'string' || Number.isNaN(createdAtMs)) throw unexpectedNote()
  return { id, text, createdAt: createdAtMs }
}

// The body of a 2xx answer; any other answer is thrown as the SDK's AuthError.
async function bodyOf (response: Response): Promise<unknown> {
  if (!response.ok) throw await authErrorFrom(response)
  return await response.json()
}

// Newest first, as the server lists them.
export async function listNotes (client: AuthClient): Promise<Note[]> {
  const body = await bodyOf(await client.fetch('/notes'))
  const notes = typeof body === 'object' && body !== null ? Reflect.get(body, 'notes') : undefined
  if (!Array.isArray(notes)) throw unexpectedNote()
  return notes.map(asNote)
}

export async function addNote (client: AuthClient, text: string): Promise<Note> {
  return asNote(await bodyOf(await client.fetch('/notes', { method: 'POST', json: { text } })))
}

export async function deleteNote (client: AuthClient, id: number): Promise<void> {
  await bodyOf(await client.fetch(`/notes/${id}`, { method: 'DELETE' }))
}
