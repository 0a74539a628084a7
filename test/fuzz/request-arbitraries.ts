import fc from 'fast-check'
import { TEST_PASSWORD } from '../helpers/sessions.js'
import type { ApiRoute } from './api-routes.js'
import type { Body, RequestSpec } from './request-spec.js'
import { QUERY_VALUES, SERVICE_FIELD_VALUES, serviceKeyHeaders } from './service-arbitraries.js'
import { accessToken, refreshToken } from './token-arbitraries.js'
import { anyJson, base64urlOf, headerString, likelyOrBad, nastyNumber, nastyString, ref, refsOf, repeated, sometimes, stringUserId } from './values.js'

// Values for the body fields the routes declare: two times out of three one that could pass
// (so requests get past validation to the password check and the session), else a bad one.
// A field of a route added later gets anything.
const plausibleOrNot = (plausible: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> => fc.oneof(
  { weight: 2, arbitrary: plausible },
  { weight: 1, arbitrary: fc.oneof({ weight: 3, arbitrary: nastyString }, { weight: 1, arbitrary: anyJson }) }
)
const newPassword = fc.oneof({ weight: 3, arbitrary: fc.constant(TEST_PASSWORD) }, fc.string({ minLength: 8, maxLength: 20 }))
const FIELD_VALUES: Record<string, fc.Arbitrary<unknown>> = {
  account: plausibleOrNot(fc.oneof(
    { weight: 4, arbitrary: refsOf('account') },
    { weight: 1, arbitrary: refsOf('account').map((account) => ({ $join: [' ', account, ' '], $with: '' })) },
    { weight: 1, arbitrary: fc.emailAddress() }
  )),
  password: plausibleOrNot(fc.oneof({ weight: 3, arbitrary: fc.constant(TEST_PASSWORD) }, fc.string({ minLength: 8, maxLength: 20 }))),
  oldPassword: plausibleOrNot(fc.constant(TEST_PASSWORD)),
  // Mostly the password the fixtures already have, so that a change does not lock them out.
  newPassword: plausibleOrNot(newPassword),
  deviceId: plausibleOrNot(fc.constantFrom('phone-7', 'victim-phone')),
  // The types FUZZ_DEVICE_RULES gives rules (a capped phone, a tv refusing a second one, a web
  // type with its own lifetimes), one without a rule, and the victim's. Both fields are optional,
  // in the login and in POST /service/sessions: mostly valid, so they hide little of the rest.
  deviceType: likelyOrBad(fc.constantFrom('phone', 'tv', 'web', 'watch'), fc.constantFrom('Phone', '1tv', '', 'phone type', repeated('a', 17))),
  rememberMe: likelyOrBad(fc.boolean(), fc.constantFrom('true', 0, null)),
  userId: plausibleOrNot(fc.oneof({ weight: 2, arbitrary: refsOf('userId') }, stringUserId)),
  refreshToken: plausibleOrNot(refreshToken),
  // A note's text (the notes example).
  text: plausibleOrNot(fc.string({ minLength: 1, maxLength: 40 })),
  // A ban's: its reason, and an end in the future (refused in the past).
  reason: plausibleOrNot(fc.constantFrom('spam', 'chargeback')),
  until: plausibleOrNot(fc.constantFrom('2099-01-01T00:00:00Z', '2000-01-01T00:00:00Z')),
  ...SERVICE_FIELD_VALUES
}
const valueOfField = (field: string): fc.Arbitrary<unknown> => FIELD_VALUES[field] ?? anyJson

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
const NOTE_PARAM_VALUES: Record<string, fc.Arbitrary<unknown>> = {
  id: fc.oneof(
    { weight: 2, arbitrary: fc.constant(String(VICTIM_NOTE_ID)) },
    { weight: 3, arbitrary: fc.integer({ min: 1, max: SMALL_NOTE_ID_MAX }).map(String) },
    nastyNumber.map(String), nastyString, brokenEscape
  )
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

// The token in one of the three places the server reads it, or in none; now and then a service key.
const credentialHeaders = fc.oneof(
  { weight: 4, arbitrary: fc.record({ token: accessToken }) },
  { weight: 3, arbitrary: accessToken.map((token) => ({ authorization: { $join: ['Bearer', token], $with: ' ' } })) },
  { weight: 1, arbitrary: fc.record({ authorization: headerString }) },
  { weight: 1, arbitrary: serviceKeyHeaders },
  { weight: 2, arbitrary: fc.constant({}) }
)

const CSRF_VALUES = ['csrf-one', 'csrf-two']
const cookieString = headerString.filter((value) => !/[;,]/.test(value))
const otherHeaders = sometimes({
  'x-csrf-token': fc.oneof(fc.constantFrom(...CSRF_VALUES), headerString),
  origin: fc.oneof(fc.constantFrom('http://localhost:80', 'http://localhost', 'null', 'https://evil.example'), headerString),
  referer: fc.constantFrom('http://localhost:80/', 'https://evil.example/'),
  'user-agent': headerString,
  'content-type': fc.constantFrom('application/json', 'text/plain', ''),
  'x-forwarded-for': fc.constantFrom('10.0.0.1', '::1', 'not-an-ip', '1.2.3.4, 5.6.7.8')
}, 4)

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

function requestSpecsFor (route: ApiRoute): fc.Arbitrary<RequestSpec> {
  const credentials = route.path.startsWith('/service/') ? serviceKeyHeaders : credentialHeaders
  return fc.record({
    method: fc.oneof({ weight: 9, arbitrary: fc.constant(route.method) }, { weight: 1, arbitrary: fc.constantFrom(...ANY_METHODS) }),
    path: fc.constant(route.path),
    params: fc.record(Object.fromEntries(route.params.map((name) => [name, paramValues(route)[name] ?? nastyString]))),
    query: sometimes(Object.fromEntries(route.query.map((name) => [name, QUERY_VALUES[name] ?? nastyString])), 2),
    headers: fc.tuple(credentials, otherHeaders).map(([credential, other]) => ({ ...other, ...credential })),
    cookies: fc.oneof(fc.constant({}), cookies),
    body: bodyOf(route)
  })
}

// Routes that take a body get twice the requests: their input is where the surprises are. The
// /service/ routes get twice again: a request reaches their input and the sessions behind it only
// with the right key, and the right scope, in the right form.
function weightOf (route: ApiRoute): number {
  return (route.bodyFields.length > 0 ? 2 : 1) * (route.path.startsWith('/service/') ? 2 : 1)
}

export function requestSpecs (routes: readonly ApiRoute[]): fc.Arbitrary<RequestSpec> {
  return fc.oneof(...routes.map((route) => ({ weight: weightOf(route), arbitrary: requestSpecsFor(route) })))
}
