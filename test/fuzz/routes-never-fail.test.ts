import assert from 'node:assert/strict'
import type { LightMyRequestResponse } from 'fastify'
import fc from 'fast-check'
import t from 'tap'
import { NoteRepository } from '../../src/notes/note-repository.js'
import { buildTestApp, TEST_JWT_SECRET } from '../helpers/build-app.js'
import { me } from '../helpers/sessions.js'
import { appOptions, forEachStrategy, SLIDING, STRATEGIES } from '../helpers/strategies.js'
import { apiRoutesOf, EXPECTED_ROUTES, REFRESH_ROUTE, routeName } from './api-routes.js'
import { newBackends } from './backends.js'
import { Cast } from './cast.js'
import { isLegitimateForVictim } from './legitimate-requests.js'
import { requestSpecs, VERIFY_ROUTE, VICTIM_NOTE_ID } from './request-arbitraries.js'
import { toInjectOptions } from './request-spec.js'
import { snapshotNotes, snapshotSession } from './victim-snapshot.js'

// Fixed, so a run is repeatable; fast-check prints it (with the path to the failing case) on failure.
// Any seed reaches every depth check at the end: the routes they count keep their share of the
// requests however many routes there are, and most of those requests are ones that could pass
// (requestSpecs). Each check prints how many answers met it; FUZZ_SEED=2, 3, ... draw others.
const SEED = Number(process.env.FUZZ_SEED ?? 1)
// Requests per app: about six seconds on two cores. Half go to the routes the depth checks count
// (DEPTH_CHECKED_ROUTES), some forty each, which gives the rarest of those checks a few answers
// or more with any seed; the other half to every route. The attacker and the admin log in with a hash of the
// lowest argon2 cost (cast.ts), so that logins cost little.
const RUNS_PER_APP = 1100
// High enough that 429s do not hide what the limited routes would answer.
const NO_RATE_LIMIT = '1000000'
const FUZZ_ENV = Object.fromEntries([
  'RATE_LIMIT_LOGIN_ACCOUNT_IP', 'RATE_LIMIT_LOGIN_ACCOUNT', 'RATE_LIMIT_LOGIN_IP', 'RATE_LIMIT_PASSWORD_SESSION',
  'RATE_LIMIT_REGISTER_IP', 'RATE_LIMIT_REFRESH_SESSION', 'RATE_LIMIT_REFRESH_IP', 'RATE_LIMIT_SERVICE_KEY_IP',
  'RATE_LIMIT_RESET_ACCOUNT', 'RATE_LIMIT_RESET_IP'
].map((name) => [name, NO_RATE_LIMIT]))
// Every kind of rule, so generated logins meet each: a phone replaces the last one, a second tv
// is refused (409 1013), a web session has its own idle TTL and lifetime.
const FUZZ_DEVICE_RULES = JSON.stringify({
  phone: { maxSessions: 1, onOverflow: 'end_oldest' },
  tv: { maxSessions: 1, onOverflow: 'refuse_new' },
  web: { idleTtl: 7200, maxLifetime: 604800 }
})
// The routes whose answers the depth checks at the end count: they keep a fixed share of the
// requests whatever the number of routes (requestSpecs).
const DEPTH_CHECKED_ROUTES = [
  'GET /auth/me', 'POST /auth/login', 'POST /notes', 'DELETE /notes/{id}', REFRESH_ROUTE,
  'POST /auth/password/forgot', 'POST /auth/password/reset', 'POST /auth/login/second-factor',
  'POST /service/sessions', 'GET /service/users/{userId}/sessions', 'DELETE /service/users/{userId}/sessions/{sessionId}',
  'DELETE /service/users/{userId}/sessions', VERIFY_ROUTE
]
// The one error shape's fields (src/errors/error-body.ts): `reason` with 1002, 1010 and 1011,
// `until` with 1011, `maxAge` with 1005, `challenge` with 1012.
// The app's clock runs ahead of the wall clock by this much per generated request (under two
// minutes over a run, far within every lifetime and token TTL): a session of the cast that lived ten requests
// is a second old, so that a gateway asking for a sign-in within a second
// (X-Require-Auth-Within: 1, the least it can ask) is refused 403 "1005" with maxAge. The run
// itself takes a few seconds, and players are signed in afresh whenever a request ended them.
const CLOCK_STEP_MS = 100
const ERROR_FIELDS = new Set(['code', 'errorCode', 'info', 'reason', 'until', 'maxAge', 'challenge'])

const REFRESH_POSTGRES = STRATEGIES.find((strategy) => strategy.name === 'refresh-postgres')
if (REFRESH_POSTGRES === undefined) throw new Error('test/helpers/strategies.ts no longer has refresh-postgres')

function isString (value: unknown): boolean {
  return typeof value === 'string'
}

// Undefined when the answer is an error in the API's one shape {code: 0, errorCode, info, reason?, until?, maxAge?, challenge?}.
function errorShapeProblem (response: LightMyRequestResponse): string | undefined {
  let body: unknown
  try {
    body = response.json()
  } catch {
    return `a ${response.statusCode} whose body is not JSON: ${response.body.slice(0, 200)}`
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return `a ${response.statusCode} whose body is not an object`
  const { code, errorCode, info, reason, until, maxAge, challenge } = body as Record<string, unknown>
  const extra = Object.keys(body).filter((key) => !ERROR_FIELDS.has(key))
  const optional: Array<[unknown, (value: unknown) => boolean]> = [[reason, isString], [until, isString], [maxAge, Number.isInteger], [challenge, isString]]
  if (code !== 0 || typeof errorCode !== 'string' || typeof info !== 'string' ||
    optional.some(([value, isValid]) => value !== undefined && !isValid(value)) || extra.length > 0) {
    return `a ${response.statusCode} not in the error shape: ${response.body.slice(0, 200)}`
  }
  return undefined
}

function errorCodeOf (response: LightMyRequestResponse): string {
  return response.statusCode >= 400 && response.body !== '' ? response.json<{ errorCode: string }>().errorCode : ''
}

forEachStrategy(t, async (t, strategy) => {
  const backends = newBackends()
  let clockAheadMs = 0
  const { app } = await buildTestApp(t, {
    ...appOptions(strategy, { ...FUZZ_ENV, SESSION_DEVICE_RULES: FUZZ_DEVICE_RULES, ...backends.env }),
    clock: () => Date.now() + clockAheadMs
  })
  const routes = apiRoutesOf(app)
  const names = routes.map(routeName)
  for (const expected of EXPECTED_ROUTES) t.ok(names.includes(expected), `${expected} is fuzzed`)
  t.equal(names.includes(REFRESH_ROUTE), strategy.refresh, `${REFRESH_ROUTE} is fuzzed where it exists`)

  const cast = await Cast.assemble(app, backends.serviceKeys)
  const { victim } = cast
  const context = { valueOf: cast.valueOf.bind(cast), serverKey: TEST_JWT_SECRET }
  const victimNote = await new NoteRepository(app.db).create(victim.userId, "the victim's note")
  if (victimNote.id !== VICTIM_NOTE_ID) throw new Error(`the victim's note is ${victimNote.id}, not the id the generators aim at`)
  // Redis and PostgreSQL read at once: twice a run, the wait adds up.
  const snapshotVictim = async (): Promise<unknown> => {
    const [session, notes] = await Promise.all([snapshotSession(app, victim.userId, victim.sessionId), snapshotNotes(app, victim.userId)])
    return { session, notes }
  }
  const victimAtStart = await snapshotVictim()
  const answers = new Map<string, number>()
  // Answers naming the outsider by its string id: sessions of another user store were reached.
  let outsiderAnswers = 0
  // Answers listing the victim's session to a service key: requests past the key check reached the victim.
  let victimListedToBackends = 0

  const everyAnswerIsSound = fc.asyncProperty(requestSpecs(routes, DEPTH_CHECKED_ROUTES), async (spec) => {
    clockAheadMs += CLOCK_STEP_MS
    await cast.revive()
    const request = toInjectOptions(spec, context)
    fc.pre(!isLegitimateForVictim(request, cast))
    const before = await snapshotVictim()
    const response = await app.inject(request)
    const sent = `${spec.method} ${request.url}`.slice(0, 200)
    assert.ok(response.statusCode < 500, `${sent} answered ${response.statusCode}: ${response.body.slice(0, 300)}`)
    // An answer to HEAD has no body, by HTTP's rules.
    const hasBody = spec.method !== 'HEAD'
    if (response.statusCode >= 400 && hasBody) assert.equal(errorShapeProblem(response), undefined, sent)
    const answer = `${spec.method} ${spec.path} ${response.statusCode} ${errorCodeOf(response)}`.trimEnd()
    answers.set(answer, (answers.get(answer) ?? 0) + 1)
    if (response.body.includes(`"userId":${JSON.stringify(cast.outsider.userId)}`)) outsiderAnswers++
    if (spec.path.startsWith('/service/') && response.body.includes(`"id":"${victim.sessionId}"`)) victimListedToBackends++
    assert.deepEqual(await snapshotVictim(), before, `${sent} changed the victim's session or notes`)
  })

  const sound = await t.resolves(fc.assert(everyAnswerIsSound, { seed: SEED, numRuns: RUNS_PER_APP }),
    'no generated request answers 5xx, an error outside the one shape, or changes the victim\'s session or notes')
  t.comment([...answers].sort().map(([answer, count]) => `${count}\t${answer}`).join('\n'))

  t.same(await snapshotVictim(), victimAtStart, "the victim's session and notes are as they were before the run")
  t.equal((await me(app, victim.token)).statusCode, 200, "the victim's token still works")
  // A failed property stops the run early, so the answers it saw say nothing about the generators.
  if (sound !== true) return

  // Evidence that the generators reach past each gate; if one of these fails, the fuzz lost its depth.
  // Each says how many answers met it: a count near zero is a check about to miss.
  const countOf = (pattern: RegExp): number =>
    [...answers].reduce((sum, [answer, count]) => sum + (pattern.test(answer) ? count : 0), 0)
  const reached = (pattern: RegExp, what: string): void => {
    const count = countOf(pattern)
    t.ok(count > 0, `${what} (${count})`)
  }
  reached(/^GET \/auth\/me 200$/, 'some generated requests were authenticated')
  reached(/^POST \/auth\/login 200$/, 'some generated logins succeeded')
  reached(/^POST \/auth\/(register|login) 400 1400$/, 'some generated accounts were refused as invalid')
  reached(/ 401 1001$/, 'some generated tokens were refused')
  if (strategy.refresh) reached(/^POST \/auth\/refresh 401 1004$/, 'some generated refresh tokens were refused')
  reached(/^POST \/notes 201$/, 'some generated notes were added')
  t.ok(outsiderAnswers > 0, `some answers named the outsider by its string id (${outsiderAnswers})`)
  reached(/^DELETE \/notes\/\{id\} 404 1404$/, "some generated deletes reached past the session check to someone else's or no note")
  reached(/^POST \/service\/sessions 201$/, 'some sessions were started by the backend')
  reached(/^POST \/service\/sessions 400 1400$/, "some of the backend's sessions were refused as invalid")
  reached(/^GET \/service\/users\/\{userId\}\/sessions 200$/, "some users' sessions were listed")
  reached(/^DELETE \/service\/users\/\{userId\}\/sessions\/\{sessionId\} 200$/, 'some sessions were ended one by one by the backend')
  reached(/^DELETE \/service\/users\/\{userId\}\/sessions 200$/, "some users' sessions were all ended by the backend")
  reached(/^\w+ \/service\/\S+ 401 1401$/, 'some generated service keys were refused')
  reached(/^DELETE \/service\/\S+ 403 1403$/, 'the read-only key was refused the routes that end sessions')
  t.ok(victimListedToBackends > 0, `some answers listed the victim's session to a service key (${victimListedToBackends})`)
  reached(/^POST \/auth\/password\/forgot 202$/, 'some reset links were asked for')
  reached(/^POST \/auth\/password\/reset 400 1014$/, 'some reset tokens reached the lookup and were refused')
  reached(/^POST \/auth\/login\/second-factor 401 1010$/, 'some second-factor logins reached the lookup and were refused')
  reached(/^GET \/auth\/verify 204$/, 'some gateway checks found the session live')
  reached(/^GET \/auth\/verify 403 1005$/, 'some gateway checks asked for a more recent sign-in (X-Require-Auth-Within), answered with maxAge')
  reached(/^GET \/auth\/verify 400 1400$/, 'some gateway headers were refused (X-Session-Slide, X-Require-Auth-Within)')
}, [SLIDING, REFRESH_POSTGRES])
