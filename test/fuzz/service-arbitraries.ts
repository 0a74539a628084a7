import fc from 'fast-check'
import { SERVICE_KEY_PREFIX } from '../../src/service-keys/service-key.js'
import { accessToken } from './token-arbitraries.js'
import { base64urlOf, headerString, nastyString, ref, refsOf, repeated, type LikelyAndBad } from './values.js'

// What a backend sends to the /service/ routes (docs/api.md, "Service keys"), and what an
// attacker tries there instead: near misses of the keys, a key no entry lists, a session token
// as the key, the key where a session token goes; odd labels, addresses and reasons.

const SERVICE_KEY_RANDOM_LENGTH = 43
// The backend's key (every scope) three times as often as support's (sessions:read): the routes
// only it opens are those that change sessions.
const realKey = fc.oneof({ weight: 3, arbitrary: fc.constant(ref('backend.serviceKey')) }, fc.constant(ref('support.serviceKey')))
const wrongKey = fc.oneof(
  // A real key with one character more, one changed (the first) or a padding `=` the Bearer
  // syntax allows; a well-formed key no entry lists; the prefix alone; past the 512 characters hashed.
  { weight: 1, arbitrary: realKey.map((key) => ({ $join: [key, 'x'], $with: '' })) },
  { weight: 1, arbitrary: realKey.map((key) => ({ $tamper: key })) },
  { weight: 1, arbitrary: realKey.map((key) => ({ $join: [key, '='], $with: '' })) },
  { weight: 1, arbitrary: base64urlOf(SERVICE_KEY_RANDOM_LENGTH).map((random) => `${SERVICE_KEY_PREFIX}${random}`) },
  { weight: 1, arbitrary: fc.constantFrom(SERVICE_KEY_PREFIX, repeated('A', 513)) }
)
const presentedKey = fc.oneof({ weight: 3, arbitrary: realKey }, { weight: 1, arbitrary: wrongKey })
const bearer = (token: unknown): { authorization: unknown } => ({ authorization: { $join: ['Bearer', token], $with: ' ' } })

// The real keys, as the backends send them.
export const realKeyHeaders = realKey.map(bearer)

// A real key two times out of three, so that requests get past the check to the routes' input
// and the sessions behind it.
export const serviceKeyHeaders = fc.oneof(
  { weight: 20, arbitrary: realKeyHeaders },
  { weight: 4, arbitrary: wrongKey.map(bearer) },
  // Schemes and spacing the header's syntax allows or not: `bearer`, two spaces, a tab, a
  // trailing space or word, Basic.
  {
    weight: 1,
    arbitrary: fc.tuple(fc.constantFrom('bearer ', 'BEARER ', 'Bearer  ', 'Bearer\t', 'Basic '), presentedKey, fc.constantFrom('', ' ', ' x'))
      .map(([scheme, key, after]) => ({ authorization: { $join: [scheme, key, after], $with: '' } }))
  },
  // A user's session token (or a forged one) is never a service key.
  { weight: 2, arbitrary: accessToken.map(bearer) },
  { weight: 1, arbitrary: presentedKey.map((key) => ({ token: key })) },
  { weight: 1, arbitrary: fc.record({ authorization: headerString }) },
  { weight: 1, arbitrary: fc.constant({}) }
)

// routes/service/index.ts' bound.
const USER_AGENT_MAX_LENGTH = 512
// POST /service/sessions' own fields (request-arbitraries.ts has those it shares with the login):
// the values a backend sends, and those the schema refuses.
export const SERVICE_FIELDS: Record<string, LikelyAndBad> = {
  userType: { likely: fc.constantFrom('user', 'admin'), bad: fc.constantFrom('root', 'Admin', '') },
  authMethod: {
    likely: fc.constantFrom('password', 'phone_code', 'apple', 'passkey'),
    bad: fc.constantFrom('Phone', '1abc', '_x', 'phone code', 'phone-code', '', repeated('a', 33))
  },
  ip: {
    likely: fc.constantFrom('198.51.100.23', '2001:db8::1', '::ffff:203.0.113.7', '127.0.0.1'),
    bad: fc.constantFrom('256.1.1.1', '1.2.3', '01.02.03.04', '::gg', '2001:db8::1%eth0', ' 198.51.100.23', '198.51.100.23/24', 'localhost', '')
  },
  userAgent: {
    likely: fc.constantFrom('Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)', 'curl/8.5.0', repeated('a', USER_AGENT_MAX_LENGTH)),
    bad: fc.constantFrom('', 'curl\u0000/8', 'a\r\nb', '\u202eevil', repeated('a', USER_AGENT_MAX_LENGTH + 1))
  }
}

// DELETE /service/users/{userId}/sessions?reason=: the three a backend may give, the reasons it
// may not (`admin` and `evicted` are the server's own), and the parameter twice.
const allowedReason = fc.constantFrom('revoked', 'password_changed', 'logout_all')
const reason = fc.oneof(
  { weight: 3, arbitrary: allowedReason },
  { weight: 2, arbitrary: fc.constantFrom('admin', 'evicted', 'expired', 'logout', 'REVOKED', '', 'revoked,admin') },
  { weight: 1, arbitrary: nastyString }
)
// GET /admin/users?limit=&after=: page sizes and ids it takes, and near misses of both (a
// leading zero, past the range, an id past the integer column's).
const pageSize = fc.constantFrom('1', '2', '50', '200')
const afterId = fc.oneof({ weight: 3, arbitrary: refsOf('userId') }, { weight: 1, arbitrary: fc.constantFrom('2147483647', '9999999999') })
export const QUERY_VALUES: Record<string, fc.Arbitrary<unknown>> = {
  reason: fc.oneof({ weight: 6, arbitrary: reason }, { weight: 1, arbitrary: fc.tuple(reason, reason) }),
  limit: fc.oneof({ weight: 3, arbitrary: pageSize }, { weight: 2, arbitrary: fc.constantFrom('0', '201', '-1', '050', '1e2', '') }, { weight: 1, arbitrary: nastyString }),
  after: fc.oneof({ weight: 3, arbitrary: afterId }, { weight: 2, arbitrary: fc.constantFrom('0', '01', '12345678901', '1.5', '') }, { weight: 1, arbitrary: nastyString })
}
export const LIKELY_QUERY_VALUES: Record<string, fc.Arbitrary<unknown>> = { reason: allowedReason, limit: pageSize, after: afterId }
