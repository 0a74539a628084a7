import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { errorResponses } from '../../src/api/error-schema.js'
import { IntegerIdParamSchema, NO_CONTROL_CHARACTERS_PATTERN, SuccessSchema } from '../../src/api/field-schemas.js'
import { NoteSchema } from '../../src/api/note-schema.js'
import { NotFoundError } from '../../src/errors/api-errors.js'
import { MAX_NOTES_PER_USER, NOTES_PER_LIST, NoteRepository } from '../../src/notes/note-repository.js'
import { sessionSecurity } from '../../plugins/docs.js'

// EXAMPLE: your own API behind the session check. Copy this folder (its name is the URL prefix),
// src/notes/note-repository.ts, src/api/note-schema.ts and the 'create notes' migration
// (src/db/migrations.ts, as a new version), rename, change the queries. What puts it behind the check:
//   1. the preHandler hook below: every route of this folder answers 401 without a live session,
//      403 to a cookie-authenticated POST/PUT/PATCH/DELETE without CSRF proof, and slides the
//      session as GET /auth/me does;
//   2. request.user ({userId, userType, sessionId, account}) says who asks: scope every query by it;
//   3. a schema for the body, the params and every response, so bad input is a 400 "1400"; the
//      schemas are TypeBox, so request.body, request.params and the replies are typed from them.
// Served only when EXAMPLE_ROUTES is true (the default outside production).

const NOTE_TEXT_MAX_LENGTH = 1000

const NoteBodySchema = Type.Object({
  text: Type.String({ minLength: 1, maxLength: NOTE_TEXT_MAX_LENGTH, pattern: NO_CONTROL_CHARACTERS_PATTERN })
})

const NoteParamsSchema = Type.Object({ id: IntegerIdParamSchema })

const notes: FastifyPluginAsyncTypebox = async (fastify) => {
  if (!fastify.config.EXAMPLE_ROUTES) return
  const repository = new NoteRepository(fastify.db)
  fastify.addHook('preHandler', fastify.authenticate)

  // `no-slash`: the folder's own URL is /notes only. By default Fastify also answers /notes/ for a
  // prefix's '/', a second URL no other route has, and the OpenAPI document would list that one.
  fastify.get('/', {
    prefixTrailingSlash: 'no-slash',
    schema: {
      summary: `The signed-in user's notes, newest first (at most ${NOTES_PER_LIST})`,
      tags: ['notes'],
      security: sessionSecurity,
      response: { 200: Type.Object({ notes: Type.Array(NoteSchema, { maxItems: NOTES_PER_LIST }) }), ...errorResponses(401, 503) }
    }
  }, async (request) => ({ notes: await repository.listForUser(request.user.userId) }))

  fastify.post('/', {
    prefixTrailingSlash: 'no-slash',
    schema: {
      summary: `Add a note; a user keeps at most ${MAX_NOTES_PER_USER}`,
      tags: ['notes'],
      security: sessionSecurity,
      body: NoteBodySchema,
      response: { 201: NoteSchema, ...errorResponses(400, 401, 403, 503) }
    }
  }, async (request, reply) => {
    const note = await repository.create(request.user.userId, request.body.text)
    return await reply.code(201).send(note)
  })

  fastify.delete('/:id', {
    schema: {
      summary: 'Delete one of your notes',
      tags: ['notes'],
      security: sessionSecurity,
      params: NoteParamsSchema,
      response: { 200: SuccessSchema, ...errorResponses(400, 401, 403, 404, 503) }
    }
  }, async (request) => {
    // Deleted under the caller's own user id: another user's note is simply not found.
    const deleted = await repository.deleteForUser(request.user.userId, Number(request.params.id))
    if (!deleted) throw new NotFoundError('No such note')
    return { result: 'success' as const }
  })
}

export default notes
