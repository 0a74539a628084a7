import fc from 'fast-check'
import { MAX_TOKEN_LENGTH } from '../../src/tokens/session-claims.js'
import type { FixtureName } from './request-spec.js'
import { anyJson, base64urlOf, headerString, nastyNumber, nastyString, ref, refsOf, repeated, stringUserId } from './values.js'

// Access tokens and refresh tokens as an attacker would try them: the real ones of the
// attacker and the admin, tampered ones, JWTs signed with the server's key, another key or
// none, and refresh tokens naming sessions that are not theirs.

const DAY_SECONDS = 86_400

const timeClaim = fc.oneof(
  fc.integer({ min: -40 * DAY_SECONDS, max: 40 * DAY_SECONDS }).map((offset) => ({ $now: offset })),
  nastyNumber,
  fc.constantFrom('1', null)
)

// Claims around the real ones: other users' ids with the victim's session, huge and unsafe
// ids, string ids (the victim's own digits among them), odd session ids, admin rights, missing
// or strange times. The property refuses the victim's own (userId, sid) pair, its id as a number
// or as a string: a token carrying it, signed with our key, is the victim's.
const randomClaims = fc.record({
  userId: fc.oneof(refsOf('userId'), nastyNumber, stringUserId, fc.constantFrom('1', null)),
  userType: fc.constantFrom('user', 'admin', 'root', ''),
  sid: fc.oneof(refsOf('sessionId'), base64urlOf(22), fc.constantFrom('a:b', '{1}', '*', '', repeated('x', 65)), nastyString),
  iat: timeClaim,
  auth_time: timeClaim,
  exp: timeClaim
}, { requiredKeys: [] })

// The attacker's or the admin's live session with claims of our choosing: a user's session
// calling itself admin, times that end it or that lie about the login.
const liveSessionClaims = fc.constantFrom<FixtureName>('attacker', 'admin', 'outsider').chain((name) => fc.record({
  userId: fc.constant(ref(`${name}.userId`)),
  userType: fc.constantFrom('user', 'admin'),
  sid: fc.constant(ref(`${name}.sessionId`)),
  iat: fc.oneof(fc.constant({ $now: 0 }), timeClaim),
  auth_time: timeClaim,
  exp: fc.oneof(fc.constant({ $now: 600 }), timeClaim)
}, { requiredKeys: ['userId', 'userType', 'sid', 'iat'] }))

const claims = fc.oneof({ weight: 3, arbitrary: randomClaims }, { weight: 1, arbitrary: liveSessionClaims })

const jwtHeader = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ alg: 'HS256', typ: 'JWT' }) },
  { weight: 1, arbitrary: fc.constantFrom({ alg: 'none' }, { alg: 'HS512' }, { alg: 'RS256' }, { alg: 'HS256', crit: ['x'] }) },
  { weight: 1, arbitrary: anyJson }
)

const jwt = fc.record({
  $jwt: fc.record({ header: jwtHeader, claims }),
  $key: fc.constantFrom('server', 'server', 'server', 'other', 'none')
})

// Every candidate is header-safe: tokens travel in headers and cookies.
export const accessToken = fc.oneof(
  { weight: 6, arbitrary: refsOf('token', ['attacker', 'admin', 'outsider']) },
  { weight: 1, arbitrary: refsOf('token').map((token) => ({ $tamper: token })) },
  { weight: 4, arbitrary: jwt },
  { weight: 1, arbitrary: fc.tuple(base64urlOf(20), base64urlOf(30), base64urlOf(43)).map((parts) => parts.join('.')) },
  { weight: 1, arbitrary: headerString },
  { weight: 1, arbitrary: fc.constant(repeated('x', MAX_TOKEN_LENGTH + 1)) }
)

// `<userId>.<sid>.<secret>` around the real ones: the victim's session with a made-up secret,
// user ids past PostgreSQL's integer and string ids, odd session ids.
export const refreshToken = fc.oneof(
  { weight: 2, arbitrary: refsOf('refreshToken', ['attacker', 'outsider']) },
  { weight: 1, arbitrary: refsOf('refreshToken').map((token) => ({ $tamper: token })) },
  {
    weight: 4,
    arbitrary: fc.record({
      $join: fc.tuple(
        fc.oneof(refsOf('userId'), stringUserId, fc.constantFrom('0', '01', '-1', '2147483647', '2147483648', '4294967296', '9999999999', '99999999999')),
        fc.oneof(refsOf('sessionId'), base64urlOf(22), fc.constantFrom('a:b', '{1}', '*', repeated('x', 65))),
        base64urlOf(43)
      ),
      $with: fc.constant('.')
    })
  },
  { weight: 1, arbitrary: headerString }
)
