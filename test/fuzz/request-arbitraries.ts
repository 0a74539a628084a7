import fc from 'fast-check'
import { TEST_PASSWORD } from '../helpers/sessions.js'
import { routeName, type ApiRoute } from './api-routes.js'
import type { Body, RequestSpec } from './request-spec.js'
import { LIKELY_QUERY_VALUES, QUERY_VALUES, realKeyHeaders, SERVICE_FIELDS, serviceKeyHeaders } from './service-arbitraries.js'
import { accessToken, refreshToken } from './token-arbitraries.js'
import { anyJson, base64urlOf, headerString, likelyOrBad, nastyNumber, nastyString, ref, refsOf, repeated, sometimes, stringUserId, type LikelyAndBad } from './values.js'

// Values for the body fields the routes declare: two times out of three one that could pass
// (so requests get past validation to the password check and the session), else a bad one.
// A field of a route added later gets anything.
const plausibleOrNot = (plausible: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> => fc.oneof(
  { weight: 2, arbitrary: plausible },
  { weight: 1, arbitrary: fc.oneof({ weight: 3, arbitrary: nastyString }, { weight: 1, arbitrary: anyJson }) }
)
// What could pass, field by field. The account leans to the attacker and the admin, whose
// password (TEST_PASSWORD) the generators know: a login as the victim, the outsider (no password
// here) or someone unknown is refused, which about one in three still tries.
const PLAUSIBLE_VALUES: Record<string, fc.Arbitrary<unknown>> = {
  account: fc.oneof(
    { weight: 4, arbitrary: refsOf('account', ['attacker', 'admin']) },
    { weight: 2, arbitrary: refsOf('account') },
    { weight: 1, arbitrary: refsOf('account').map((account) => ({ $join: [' ', account, ' '], $with: '' })) },
    { weight: 1, arbitrary: fc.emailAddress() }
  ),
  password: fc.oneof({ weight: 3, arbitrary: fc.constant(TEST_PASSWORD) }, fc.string({ minLength: 8, maxLength: 20 })),
  oldPassword: fc.constant(TEST_PASSWORD),
  // Mostly the password the fixtures already have, so that a change does not lock them out.
  newPassword: fc.oneof({ weight: 3, arbitrary: fc.constant(TEST_PASSWORD) }, fc.string({ minLength: 8, maxLength: 20 })),
  deviceId: fc.constantFrom('phone-7', 'victim-phone'),
  userId: fc.oneof({ weight: 2, arbitrary: refsOf('userId') }, stringUserId),
  refreshToken,
  // A note's text (the notes example).
  text: fc.string({ minLength: 1, maxLength: 40 }),
  // A ban's: its reason, and an end in the future (refused in the past).
  reason: fc.constantFrom('spam', 'chargeback'),
  until: fc.constantFrom('2099-01-01T00:00:00Z', '2000-01-01T00:00:00Z'),
  // A reset link's token and a login's challenge, shaped as the server issues them (43 base64url
  // characters): past the schema to the lookup, which finds neither (none is ever delivered here).
  token: base64urlOf(43),
  challenge: base64urlOf(43),
  // An authenticator app's code, or a backup code's shape: the check, not the schema, refuses
  // them. A live code is one in a million, so no generated request turns a second factor on.
  code: fc.oneof(
    fc.integer({ min: 0, max: 999_999 }).map((code) => String(code).padStart(6, '0')),
    fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz234567'), minLength: 10, maxLength: 10 })
  )
}
// Optional fields, valid nine times in ten (likelyOrBad), so that they hide little of the rest.
// deviceType: the types FUZZ_DEVICE_RULES gives rules (a capped phone, a tv refusing a second
// one, a web type with its own lifetimes), one without a rule. amr: POST /service/sessions'
// RFC 8176 labels; its other own fields are in service-arbitraries.ts.
const OPTIONAL_FIELDS: Record<string, LikelyAndBad> = {
  deviceType: { likely: fc.constantFrom('phone', 'tv', 'web', 'watch'), bad: fc.constantFrom('Phone', '1tv', '', 'phone type', repeated('a', 17)) },
  rememberMe: { likely: fc.boolean(), bad: fc.constantFrom('true', 0, null) },
  amr: {
    likely: fc.constantFrom(['pwd'], ['pwd', 'otp'], ['hwk', 'user'], []),
    bad: fc.constantFrom(['PWD'], 'pwd', [''], ['pwd otp'], Array.from({ length: 9 }, () => 'pwd'))
  },
  ...SERVICE_FIELDS
}
const FIELD_VALUES: Record<string, fc.Arbitrary<unknown>> = {
  ...Object.fromEntries(Object.entries(PLAUSIBLE_VALUES).map(([field, plausible]) => [field, plausibleOrNot(plausible)])),
  ...Object.fromEntries(Object.entries(OPTIONAL_FIELDS).map(([field, { likely, bad }]) => [field, likelyOrBad(likely, bad)]))
}
const valueOfField = (field: string): fc.Arbitrary<unknown> => FIELD_VALUES[field] ?? anyJson
const plausibleValueOfField = (field: string): fc.Arbitrary<unknown> => PLAUSIBLE_VALUES[field] ?? OPTIONAL_FIELDS[field]?.likely ?? anyJson

// Percent-escapes a router must refuse without crashing: truncated, not UTF-8, an encoded NUL or slash.
const brokenEscape = fc.constantFrom('%', '%E0%A4%A', '%C0%80', '%FF', '%00', '%2F..%2F', 'a%2')
  .map((text) => ({ $verbatim: text }))
const PARAM_VALUES: Record<string, fc.Arbitrary<unknown>> = {
  id: fc.oneof({ weight: 3, arbitrary: refsOf('sessionId') }, base64urlOf(22), nastyString, brokenEscape),
  userId: fc.oneof({ weight: 3, arbitrary: refsOf('userId') }, stringUserId, nastyNumber.map(String), nastyString, brokenEscape)
}
// The /service/ routes' parameters lean further to the fixtures' ids, the victim's most: a request
// there reaches a user only past the key check, and what the read-only key, a wrong key or a
// session token asks of the victim is what tests that the victim stays untouched (the backend's
// key may end the victim's sessions). "0" before the victim's id names another user, whom even
// the backend's key must not take for the victim.
const SERVICE_PARAM_VALUES: Record<string, fc.Arbitrary<unknown>> = {
  userId: fc.oneof(
    { weight: 4, arbitrary: fc.constant(ref('victim.userId')) },
    { weight: 1, arbitrary: fc.constant({ $join: ['0', ref('victim.userId')], $with: '' }) },
    { weight: 4, arbitrary: refsOf('userId') },
    { weight: 2, arbitrary: stringUserId }, nastyNumber.map(String), nastyString, brokenEscape
  ),
  sessionId: fc.oneof(
    { weight: 4, arbitrary: fc.constant(ref('victim.sessionId')) }, { weight: 4, arbitrary: refsOf('sessionId') },
    base64urlOf(22), nastyString, brokenEscape
  )
}
// The notes example's ids count from 1 in each test's database: the victim's note is the first
// (routes-never-fail.test.ts makes sure), the small ones after it those generated requests added.
export const VICTIM_NOTE_ID = 1
const SMALL_NOTE_ID_MAX = 40
const likelyNoteId = fc.oneof(
  { weight: 2, arbitrary: fc.constant(String(VICTIM_NOTE_ID)) },
  { weight: 3, arbitrary: fc.integer({ min: 1, max: SMALL_NOTE_ID_MAX }).map(String) }
)
const NOTE_PARAM_VALUES: Record<string, fc.Arbitrary<unknown>> = {
  id: fc.oneof({ weight: 5, arbitrary: likelyNoteId }, nastyNumber.map(String), nastyString, brokenEscape)
}

const OVERSIZED_BODY_BYTES = 1_100_000
const RAW_BODIES = [
  '{', '{"account": "a\\u0000b", "password": "correct horse battery staple"}', '{"userId": 1e400}',
  '{"__proto__": {"userType": "admin"}}', '{"constructor": {"prototype": {"userType": "admin"}}}', 'null', '"text"', '[]'
]

function bodyOf (route: ApiRoute): fc.Arbitrary<Body> {
  const fields = Object.fromEntries(route.bodyFields.map((field) => [field, valueOfField(field)]))
  const shaped = fc.record(fields, { requiredKeys: route.requiredFields })
  // One field for sure and each other one time in three: the admin revoke takes exactly one
  // of userId and account, which a record of optional fields rarely gives.
  const onePlus = route.bodyFields.length === 0
    ? fc.constant({})
    : fc.constantFrom(...route.bodyFields).chain((field) => {
      const others = Object.fromEntries(Object.entries(fields).filter(([name]) => name !== field))
      return fc.tuple(valueOfField(field), sometimes(others, 3)).map(([value, rest]) => ({ ...rest, [field]: value }))
    })
  const loose = fc.tuple(fc.record(fields, { requiredKeys: [] }), fc.dictionary(fc.string({ maxLength: 8 }), anyJson, { maxKeys: 2 }))
    .map(([known, extra]) => ({ ...extra, ...known }))
  return fc.oneof(
    { weight: 20, arbitrary: shaped.map((value) => ({ kind: 'json', value }) as const) },
    { weight: route.requiredFields.length === 0 ? 12 : 4, arbitrary: onePlus.map((value) => ({ kind: 'json', value }) as const) },
    { weight: 4, arbitrary: loose.map((value) => ({ kind: 'json', value }) as const) },
    { weight: 2, arbitrary: anyJson.map((value) => ({ kind: 'json', value }) as const) },
    { weight: 2, arbitrary: fc.constant({ kind: 'none' } as const) },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('raw' as const),
        contentType: fc.constantFrom('application/json', 'text/plain', 'application/json; charset=utf-16', 'multipart/form-data'),
        text: fc.oneof(fc.constantFrom(...RAW_BODIES), fc.string({ unit: 'binary', maxLength: 40 }))
      })
    },
    // Past the body limit.
    { weight: 1, arbitrary: fc.constant({ kind: 'json', value: { account: repeated('x', OVERSIZED_BODY_BYTES) } } as const) }
  )
}

// Every field one that could pass: with a few fields of one bad value in three each, a shaped
// body gets past validation too seldom to reach, say, a login that succeeds.
function plausibleBodyOf (route: ApiRoute): fc.Arbitrary<Body> {
  const fields = Object.fromEntries(route.bodyFields.map((field) => [field, plausibleValueOfField(field)]))
  return fc.record(fields, { requiredKeys: route.requiredFields }).map((value) => ({ kind: 'json', value }) as const)
}

// The token in one of the three places the server reads it, or in none; now and then a service key.
const credentialHeaders = fc.oneof(
  { weight: 4, arbitrary: fc.record({ token: accessToken }) },
  { weight: 3, arbitrary: accessToken.map((token) => ({ authorization: { $join: ['Bearer', token], $with: ' ' } })) },
  { weight: 1, arbitrary: fc.record({ authorization: headerString }) },
  { weight: 1, arbitrary: serviceKeyHeaders },
  { weight: 2, arbitrary: fc.constant({}) }
)

// A live session's token (the attacker's, the admin's, the outsider's), as a client sends it.
const liveTokenHeaders = refsOf('token', ['attacker', 'admin', 'outsider']).chain((token) => fc.constantFrom(
  { token },
  { authorization: { $join: ['Bearer', token], $with: ' ' } }
))

const CSRF_VALUES = ['csrf-one', 'csrf-two']
const cookieString = headerString.filter((value) => !/[;,]/.test(value))
const OTHER_HEADERS = {
  'x-csrf-token': fc.oneof(fc.constantFrom(...CSRF_VALUES), headerString),
  origin: fc.oneof(fc.constantFrom('http://localhost:80', 'http://localhost', 'null', 'https://evil.example'), headerString),
  referer: fc.constantFrom('http://localhost:80/', 'https://evil.example/'),
  'user-agent': headerString,
  'content-type': fc.constantFrom('application/json', 'text/plain', ''),
  'x-forwarded-for': fc.constantFrom('10.0.0.1', '::1', 'not-an-ip', '1.2.3.4, 5.6.7.8')
}
const otherHeaders = sometimes(OTHER_HEADERS, 4)

// What a gateway adds to its question to GET /auth/verify: not to keep the session alive
// (X-Session-Slide), and a sign-in at most so many seconds old (X-Require-Auth-Within; 1 second
// is older than most of the cast's sign-ins, so 403 "1005" with maxAge), or values neither
// allows (400 "1400").
export const VERIFY_ROUTE = 'GET /auth/verify'
// The second header three times in four: a 1005 needs it, a token of a live session and a
// sign-in older than what it asks.
const sessionSlide = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('on', 'off', 'OFF', 'on, off') },
  fc.constantFrom('', 'no', 'of', '0'), headerString
)
const requireAuthWithin = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('1', '60, 1') },
  { weight: 2, arbitrary: fc.constantFrom('60', '999999999') },
  fc.constantFrom('', '0', '-1', '1.5', '1e3', '1000000000', 'soon'), headerString
)
const verifyHeaders = fc.tuple(
  sometimes({ 'x-session-slide': sessionSlide }, 2),
  fc.oneof({ weight: 3, arbitrary: fc.record({ 'x-require-auth-within': requireAuthWithin }) }, { weight: 1, arbitrary: fc.constant({}) })
).map(([slide, within]) => ({ ...slide, ...within }))
// Without a content type of its own, which two times in three is refused (415) before anything else.
const { 'content-type': _contentType, ...OTHER_HEADERS_KEEPING_JSON } = OTHER_HEADERS
const likelyOtherHeaders = sometimes(OTHER_HEADERS_KEEPING_JSON, 4)

const cookies = sometimes({
  accessToken,
  refreshToken,
  csrfToken: fc.oneof(fc.constantFrom(...CSRF_VALUES), cookieString),
  loginUser: cookieString
}, 2)

const ANY_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'] as const

function paramValues (route: ApiRoute): Record<string, fc.Arbitrary<unknown>> {
  if (route.path.startsWith('/notes/')) return NOTE_PARAM_VALUES
  return route.path.startsWith('/service/') ? SERVICE_PARAM_VALUES : PARAM_VALUES
}

// A likely request's parameters: the fixtures' ids, the notes' small ones. The victim's user
// id two times in five, as the /service/ routes lean to it (SERVICE_PARAM_VALUES).
const likelyUserId = fc.oneof({ weight: 1, arbitrary: fc.constant(ref('victim.userId')) }, { weight: 4, arbitrary: refsOf('userId') })
function likelyParamValues (route: ApiRoute): Record<string, fc.Arbitrary<unknown>> {
  if (route.path.startsWith('/notes/')) return { id: likelyNoteId }
  return { userId: likelyUserId, sessionId: refsOf('sessionId'), id: refsOf('sessionId') }
}

function paramsOf (route: ApiRoute, values: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Record<string, unknown>> {
  return fc.record(Object.fromEntries(route.params.map((name) => [name, values[name] ?? nastyString])))
}

function queryOf (route: ApiRoute, values: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Record<string, unknown>> {
  return sometimes(Object.fromEntries(route.query.map((name) => [name, values[name] ?? nastyString])), 2)
}

// Three in four of a likely request's parameters, query, credentials and bodies are those a
// client of the cast would send (the fixtures' ids; a reason the route takes; a live token or a
// real service key; every field one that could pass), so that it gets past the gates to what
// the route does; the fourth is as any other request's. Its other headers keep the JSON content type.
function likelyIf<T> (isLikely: boolean, usual: fc.Arbitrary<T>, plausible: fc.Arbitrary<T>): fc.Arbitrary<T> {
  return isLikely ? fc.oneof({ weight: 3, arbitrary: plausible }, { weight: 1, arbitrary: usual }) : usual
}

function requestSpecsFor (route: ApiRoute, isLikely = false): fc.Arbitrary<RequestSpec> {
  const isService = route.path.startsWith('/service/')
  const credentials = likelyIf<Record<string, unknown>>(isLikely,
    isService ? serviceKeyHeaders : credentialHeaders, isService ? realKeyHeaders : liveTokenHeaders)
  return fc.record({
    method: fc.oneof({ weight: 9, arbitrary: fc.constant(route.method) }, { weight: 1, arbitrary: fc.constantFrom(...ANY_METHODS) }),
    path: fc.constant(route.path),
    params: likelyIf(isLikely, paramsOf(route, paramValues(route)), paramsOf(route, likelyParamValues(route))),
    query: likelyIf(isLikely, queryOf(route, QUERY_VALUES), queryOf(route, LIKELY_QUERY_VALUES)),
    headers: fc.tuple(credentials, isLikely ? likelyOtherHeaders : otherHeaders, routeName(route) === VERIFY_ROUTE ? verifyHeaders : fc.constant({}))
      .map(([credential, other, gateway]) => ({ ...other, ...gateway, ...credential })),
    cookies: fc.oneof(fc.constant({}), cookies),
    body: likelyIf(isLikely, bodyOf(route), plausibleBodyOf(route))
  })
}

// Routes that take a body get twice the requests: their input is where the surprises are. The
// /service/ routes get twice again: a request reaches their input and the sessions behind it only
// with the right key, and the right scope, in the right form.
function weightOf (route: ApiRoute): number {
  return (route.bodyFields.length > 0 ? 2 : 1) * (route.path.startsWith('/service/') ? 2 : 1)
}

// Of every FOCUS_IN requests, FOCUS_OF go to the `focus` routes (those whose answers the test
// counts as evidence of depth), in equal parts and likely (requestSpecsFor); the rest to every
// route, by weightOf. So each focus route keeps its share whatever the number of routes: each
// route added would otherwise thin them all, and a seed that reached every depth check with one
// route list would miss some with the next.
const FOCUS_OF = 1
const FOCUS_IN = 2

export function requestSpecs (routes: readonly ApiRoute[], focus: readonly string[] = []): fc.Arbitrary<RequestSpec> {
  const everyRoute = fc.oneof(...routes.map((route) => ({ weight: weightOf(route), arbitrary: requestSpecsFor(route) })))
  const focused = routes.filter((route) => focus.includes(routeName(route)))
  if (focused.length === 0) return everyRoute
  return fc.oneof(
    { weight: FOCUS_OF, arbitrary: fc.oneof(...focused.map((route) => requestSpecsFor(route, true))) },
    { weight: FOCUS_IN - FOCUS_OF, arbitrary: everyRoute }
  )
}
