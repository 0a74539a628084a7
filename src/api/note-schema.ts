import { Type, type Static } from '@sinclair/typebox'
import { DateTime } from './schema-types.js'

// EXAMPLE: one note of routes/notes/, as the repository returns it and the API answers it.
export const NoteSchema = Type.Object({ id: Type.Integer(), text: Type.String(), createdAt: DateTime() })

export type Note = Static<typeof NoteSchema>
