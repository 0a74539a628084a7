import { Writable } from 'node:stream'
import t from 'tap'
import { buildTestApp } from '../helpers/build-app.js'
import { createAndLogIn, me } from '../helpers/sessions.js'

t.test('an unexpected failure answers 500 "1500": details go to the log, not to the client', async (t) => {
  let log = ''
  const logStream = new Writable({ write (chunk, _encoding, done) { log += String(chunk); done() } })
  const { app } = await buildTestApp(t, { logStream })
  const session = await createAndLogIn(app)
  // A corrupted session key: Redis answers WRONGTYPE, a bug to report, not an outage to wait out.
  await app.redis.set(`ACCESS_TOKEN:{${session.userId}}:${session.sessionId}`, 'not a hash')

  const res = await me(app, session.token)
  t.equal(res.statusCode, 500)
  t.strictSame(res.json(), { code: 0, errorCode: '1500', info: 'Internal server error' })
  t.notMatch(res.body, /WRONGTYPE/, 'the cause is not returned')
  t.match(log, /WRONGTYPE/, 'the cause is logged')
  t.match(log, /"level":50/, 'at error level')
})

t.test('what the router refuses before any route runs has the one error shape too', async (t) => {
  const { app } = await buildTestApp(t)
  const brokenEscape = await app.inject({ method: 'GET', url: '/admin/users/%/sessions' })
  t.equal(brokenEscape.statusCode, 400, 'a broken percent-escape in the path: 400')
  t.match(brokenEscape.json(), { code: 0, errorCode: '1400', info: String }, 'in the error shape')
  const longParam = await app.inject({ method: 'DELETE', url: `/auth/sessions/${'a'.repeat(200)}` })
  t.equal(longParam.statusCode, 414, 'a path parameter past the router\'s limit: 414')
  t.match(longParam.json(), { code: 0, errorCode: '1400', info: String }, 'in the error shape')
})

t.test('a body not sent as application/json is refused 415 "1400", and the info says the content type is why', async (t) => {
  const { app } = await buildTestApp(t)
  const { token } = await createAndLogIn(app)
  const note = JSON.stringify({ text: 'a note' })
  const wrongTypes: Array<[string, Record<string, string>, string]> = [
    // What fetch sends for a string body without a content-type header of the caller's.
    ['text/plain', { 'content-type': 'text/plain;charset=UTF-8' }, note],
    ['no content-type', {}, note],
    ['application/xml', { 'content-type': 'application/xml' }, '<note>a note</note>'],
    ['a form', { 'content-type': 'application/x-www-form-urlencoded' }, 'text=a+note'],
    ['another JSON media type', { 'content-type': 'application/vnd.api+json' }, note]
  ]
  for (const [what, headers, payload] of wrongTypes) {
    const res = await app.inject({ method: 'POST', url: '/notes', headers: { token, ...headers }, payload })
    t.equal(res.statusCode, 415, `${what}: 415 (${res.body})`)
    t.strictSame(res.json(), { code: 0, errorCode: '1400', info: 'content-type must be application/json' }, `${what}: the info names the content type`)
  }

  const json = { token, 'content-type': 'application/json; charset=utf-8' }
  const schemaFailure = await app.inject({ method: 'POST', url: '/notes', headers: json, payload: JSON.stringify({ text: 42 }) })
  t.equal(schemaFailure.statusCode, 400, 'a JSON body the schema refuses: 400')
  t.strictSame(schemaFailure.json(), { code: 0, errorCode: '1400', info: 'body/text must be string' }, 'the schema says what is wrong with it')
  const noBody = await app.inject({ method: 'POST', url: '/notes', headers: { token } })
  t.equal(noBody.statusCode, 400, 'no body at all: 400')
  t.strictSame(noBody.json(), { code: 0, errorCode: '1400', info: 'body must be object' }, 'the body is missing, whatever its type would have been')
  const added = await app.inject({ method: 'POST', url: '/notes', headers: json, payload: note })
  t.equal(added.statusCode, 201, `the same body as application/json is added (${added.body})`)
})
