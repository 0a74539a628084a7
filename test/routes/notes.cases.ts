import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { MAX_NOTES_PER_USER, NOTES_PER_LIST } from '../../src/notes/note-repository.js'
import { sessionKeys } from '../../src/sessions/session-keys.js'
import { buildTestApp } from '../helpers/build-app.js'
import { createAndLogIn, type LoggedIn } from '../helpers/sessions.js'
import { appOptions, SLIDING } from '../helpers/strategies.js'
import { storedLastSeenAt } from '../helpers/stored-session.js'

// The example resource: its own behaviour, and that the session check guards it as it guards /auth/me.

// A minute, so the slide interval (a tenth of it) is six seconds: the slide test shortens the
// TTL by more than that instead of waiting.
const SESSION_TTL_MS = 60_000
const SHORTENED_TTL_MS = 30_000
const SLIDE_INTERVAL_MS = SESSION_TTL_MS / 10
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/
const NOTE_TEXT_MAX_LENGTH = 1000
const ADDS_AT_ONCE = 10
// Concurrent adds for half as many free places, a few times over.
const RACERS = 20
const RACE_ROUNDS = 5
// Control characters, and format characters (Unicode Cf: a right-to-left override, a zero-width space).
const CONTROL_CHARACTERS = ['\u0000', '\u0001', '\t', '\n', '\u001b', '\u007f', '\u0085', '\u009f', '\u202e', '\u200b', '\u2066', '\ufeff']

interface NoteView {
  id: number
  text: string
  createdAt: string
}

interface ErrorBody {
  code: number
  errorCode: string
  info: string
  reason?: string
}

function assertError (t: Test, res: LightMyRequestResponse, statusCode: number, errorCode: string, what: string): ErrorBody {
  t.equal(res.statusCode, statusCode, `${what}: status ${statusCode} (${res.body})`)
  const body = res.json<ErrorBody>()
  t.match(body, { code: 0, errorCode, info: String }, `${what}: errorCode ${errorCode} in the one error shape`)
  return body
}

async function listNotes (app: FastifyInstance, token: string): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'GET', url: '/notes', headers: { token } })
}

async function addNote (app: FastifyInstance, token: string, text: unknown): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'POST', url: '/notes', headers: { token }, payload: { text } })
}

async function deleteNote (app: FastifyInstance, token: string, id: number | string): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'DELETE', url: `/notes/${id}`, headers: { token } })
}

async function notesOf (app: FastifyInstance, session: LoggedIn): Promise<NoteView[]> {
  const res = await listNotes(app, session.token)
  if (res.statusCode !== 200) throw new Error(`GET /notes failed: ${res.statusCode} ${res.body}`)
  return res.json<{ notes: NoteView[] }>().notes
}

async function addedNote (app: FastifyInstance, session: LoggedIn, text: string): Promise<NoteView> {
  const res = await addNote(app, session.token, text)
  if (res.statusCode !== 201) throw new Error(`POST /notes failed: ${res.statusCode} ${res.body}`)
  return res.json<NoteView>()
}

// A few at a time: enough to be quick, few enough that none waits long for a database connection.
async function addNotes (app: FastifyInstance, session: LoggedIn, count: number): Promise<void> {
  for (let added = 0; added < count; added += ADDS_AT_ONCE) {
    const batch = Math.min(ADDS_AT_ONCE, count - added)
    await Promise.all(Array.from({ length: batch }, async (_, index) => await addedNote(app, session, `note ${added + index}`)))
  }
}

t.test('with EXAMPLE_ROUTES on (the default outside production)', async (t) => {
  const { app } = await buildTestApp(t, appOptions(SLIDING, { SESSION_TTL: String(SESSION_TTL_MS / 1000) }))

  t.test('add, list and delete: the round trip', async (t) => {
    const session = await createAndLogIn(app)
    t.same(await notesOf(app, session), [], 'a new user has no notes')

    const created = await addNote(app, session.token, 'buy milk')
    t.equal(created.statusCode, 201, created.body)
    const first = created.json<NoteView>()
    t.strictSame(Object.keys(first).sort(), ['createdAt', 'id', 'text'], 'exactly id, text and createdAt')
    t.ok(Number.isSafeInteger(first.id) && first.id > 0, `a positive integer id (${first.id})`)
    t.equal(first.text, 'buy milk')
    t.match(first.createdAt, ISO_DATE_TIME, `createdAt is an ISO date-time (${first.createdAt})`)
    t.ok(Math.abs(Date.parse(first.createdAt) - Date.now()) < 60_000, 'and about now')

    const second = await addedNote(app, session, 'Grüße 😀 — call Ada')
    t.same(await notesOf(app, session), [second, first], 'newest first, as they were created')

    const deleted = await deleteNote(app, session.token, first.id)
    t.equal(deleted.statusCode, 200, deleted.body)
    t.same(deleted.json(), { result: 'success' })
    t.same(await notesOf(app, session), [second], 'the deleted note is gone')
    const again = assertError(t, await deleteNote(app, session.token, first.id), 404, '1404', 'deleting it again')
    t.equal(again.info, 'No such note')
  })

  t.test("another user's note cannot be seen or deleted", async (t) => {
    const alice = await createAndLogIn(app)
    const bob = await createAndLogIn(app)
    const note = await addedNote(app, alice, "alice's secret")
    await addedNote(app, bob, "bob's own")

    t.notOk((await notesOf(app, bob)).some((listed) => listed.id === note.id), "alice's note is not in bob's list")
    const theirs = assertError(t, await deleteNote(app, bob.token, note.id), 404, '1404', "bob deletes alice's note")
    const unknown = assertError(t, await deleteNote(app, bob.token, 2_147_483_647), 404, '1404', 'bob deletes an id nobody has')
    t.same(theirs, unknown, 'the same answer as for a note that does not exist: nothing is revealed')
    t.same(await notesOf(app, alice), [note], 'alice still has her note')
  })

  t.test('the session check guards every route', async (t) => {
    const session = await createAndLogIn(app)
    const note = await addedNote(app, session, 'kept')
    for (const [method, url] of [['GET', '/notes'], ['POST', '/notes'], ['DELETE', `/notes/${note.id}`]] as const) {
      const request = { method, url, ...(method === 'POST' ? { payload: { text: 'x' } } : {}) }
      assertError(t, await app.inject(request), 401, '1001', `${method} ${url} without a token`)
      const tampered = await app.inject({ ...request, headers: { token: `${session.token}x` } })
      assertError(t, tampered, 401, '1001', `${method} ${url} with a tampered token`)
    }
    t.same(await notesOf(app, session), [note], 'nothing was added or deleted')

    const logout = await app.inject({ method: 'POST', url: '/auth/logout', headers: { token: session.token } })
    t.equal(logout.statusCode, 200, logout.body)
    const ended = assertError(t, await listNotes(app, session.token), 401, '1002', 'GET /notes after logout')
    t.equal(ended.reason, 'logout', 'reason "logout"')
    assertError(t, await addNote(app, session.token, 'too late'), 401, '1002', 'POST /notes after logout')
    assertError(t, await deleteNote(app, session.token, note.id), 401, '1002', 'DELETE /notes/:id after logout')
  })

  t.test('a request to /notes slides the session, as /auth/me does', async (t) => {
    const session = await createAndLogIn(app)
    const key = sessionKeys(app.config.REDIS_KEY_PREFIX).session(session.userId, session.sessionId)
    // As if the session had been idle for half its TTL; the near-cache learns of the change first.
    t.equal(await app.redis.pexpire(key, SHORTENED_TTL_MS), 1, 'the session key exists')
    await app.nearCache?.sync()
    const before = await app.redis.pttl(key)
    t.ok(before <= SHORTENED_TTL_MS, `TTL shortened (${before} ms)`)

    t.equal((await listNotes(app, session.token)).statusCode, 200)
    const after = await app.redis.pttl(key)
    t.ok(after > SESSION_TTL_MS - SLIDE_INTERVAL_MS && after <= SESSION_TTL_MS, `TTL slid back to SESSION_TTL (${after} ms)`)
    t.not(await storedLastSeenAt(app.redis, key), null, 'the request is recorded as lastSeenAt')
  })

  t.test('invalid input answers 400 "1400"', async (t) => {
    const session = await createAndLogIn(app)
    const note = await addedNote(app, session, 'keep me')

    assertError(t, await addNote(app, session.token, ''), 400, '1400', 'empty text')
    assertError(t, await addNote(app, session.token, 'a'.repeat(NOTE_TEXT_MAX_LENGTH + 1)), 400, '1400', 'text one character too long')
    assertError(t, await addNote(app, session.token, 42), 400, '1400', 'text as a number')
    assertError(t, await addNote(app, session.token, ['a']), 400, '1400', 'text as an array')
    assertError(t, await app.inject({ method: 'POST', url: '/notes', headers: { token: session.token }, payload: {} }), 400, '1400', 'no text')
    for (const char of CONTROL_CHARACTERS) {
      const refused = assertError(t, await addNote(app, session.token, `line${char}break`), 400, '1400', `text with ${JSON.stringify(char)}`)
      t.equal(refused.info, 'body/text must not contain control or format characters', 'said in words')
    }
    const longest = await addNote(app, session.token, '😀'.repeat(NOTE_TEXT_MAX_LENGTH))
    t.equal(longest.statusCode, 201, `${NOTE_TEXT_MAX_LENGTH} characters (counted as characters, not UTF-16 units) are allowed`)

    for (const id of ['abc', '1.5', '-1', '0', '01', '1e3', ' 1', '12345678901']) {
      const refused = assertError(t, await deleteNote(app, session.token, encodeURIComponent(id)), 400, '1400', `id ${JSON.stringify(id)}`)
      t.equal(refused.info, 'params/id must be a positive integer', 'said in words')
    }
    assertError(t, await deleteNote(app, session.token, 9_999_999_999), 404, '1404', 'an id beyond PostgreSQL integer: no such note')
    t.equal((await notesOf(app, session)).filter((listed) => listed.id === note.id).length, 1, 'the refused requests deleted nothing')
  })

  t.test(`a user keeps at most ${MAX_NOTES_PER_USER} notes, also when the last places are raced for`, async (t) => {
    const session = await createAndLogIn(app)
    const places = RACERS / 2
    await addNotes(app, session, MAX_NOTES_PER_USER - places)
    const capMessage = `A user can keep at most ${MAX_NOTES_PER_USER} notes`
    const refusal = `403 ${JSON.stringify({ code: 0, errorCode: '1403', info: capMessage })}`

    for (let round = 1; round <= RACE_ROUNDS; round++) {
      // Without the per-user lock, concurrent adds would all count the same notes and most would pass.
      const answers = await Promise.all(Array.from({ length: RACERS }, async () => await addNote(app, session.token, `round ${round}`)))
      const added = answers.filter((res) => res.statusCode === 201).length
      t.equal(added, places, `round ${round}: ${places} of ${RACERS} concurrent adds take the ${places} free places`)
      const refusals = new Set(answers.filter((res) => res.statusCode !== 201).map((res) => `${res.statusCode} ${res.body}`))
      t.same([...refusals], [refusal], `round ${round}: the others are refused with 403 "1403", saying why`)
      const newest = (await notesOf(app, session)).slice(0, places)
      for (const note of newest) t.equal((await deleteNote(app, session.token, note.id)).statusCode, 200, `round ${round}: room made again`)
    }

    await addNotes(app, session, places)
    const listed = await notesOf(app, session)
    t.equal(listed.length, NOTES_PER_LIST, `the list holds the newest ${NOTES_PER_LIST}`)
    t.ok(listed.every((note, index) => index === 0 || note.id < (listed[index - 1]?.id ?? 0)), 'newest first')
    t.equal((await addNote(app, session.token, 'one more')).statusCode, 403, 'full again')

    const other = await createAndLogIn(app)
    t.equal((await addNote(app, other.token, 'mine')).statusCode, 201, "the cap is per user: another user's full list does not count")
  })

  t.test('cookie sessions: POST and DELETE need CSRF proof, as every unsafe request does', async (t) => {
    const session = await createAndLogIn(app)
    const note = await addedNote(app, session, 'by header')
    const csrfToken = session.response.cookies.find((cookie) => cookie.name === 'csrfToken')?.value ?? ''
    t.ok(csrfToken.length > 0, 'the login set a csrfToken cookie')
    const cookies = { accessToken: session.token, csrfToken }

    assertError(t, await app.inject({ method: 'POST', url: '/notes', cookies, payload: { text: 'forged' } }), 403, '1403', 'POST by cookie without proof')
    assertError(t, await app.inject({ method: 'DELETE', url: `/notes/${note.id}`, cookies }), 403, '1403', 'DELETE by cookie without proof')
    const read = await app.inject({ method: 'GET', url: '/notes', cookies })
    t.equal(read.statusCode, 200, 'GET by cookie needs no proof')
    t.same(read.json<{ notes: NoteView[] }>().notes, [note], 'the refused requests changed nothing')

    const proven = await app.inject({ method: 'POST', url: '/notes', cookies, headers: { 'x-csrf-token': csrfToken }, payload: { text: 'from the page' } })
    t.equal(proven.statusCode, 201, `with x-csrf-token matching the cookie: ${proven.body}`)
  })

  t.test('the routes are in the OpenAPI document, tagged "notes"', async (t) => {
    const { paths } = app.swagger() as { paths: Record<string, Record<string, { tags?: string[] }>> }
    t.same(paths['/notes']?.get?.tags, ['notes'], 'GET /notes')
    t.same(paths['/notes']?.post?.tags, ['notes'], 'POST /notes')
    t.same(paths['/notes/{id}']?.delete?.tags, ['notes'], 'DELETE /notes/{id}')
  })
})

t.test('with EXAMPLE_ROUTES=false the routes do not exist', async (t) => {
  const { app } = await buildTestApp(t, appOptions(SLIDING, { EXAMPLE_ROUTES: 'false' }))
  const session = await createAndLogIn(app)
  const listed = assertError(t, await listNotes(app, session.token), 404, '1404', 'GET /notes with a valid token')
  t.equal(listed.info, 'Route GET /notes not found', "the server's normal not-found answer")
  assertError(t, await addNote(app, session.token, 'x'), 404, '1404', 'POST /notes')
  assertError(t, await deleteNote(app, session.token, 1), 404, '1404', 'DELETE /notes/1')
  const { paths } = app.swagger() as { paths: Record<string, unknown> }
  t.notOk(Object.keys(paths).some((path) => path.startsWith('/notes')), 'nor are they documented')
})
