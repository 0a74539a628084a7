import fp from 'fastify-plugin'
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../src/passwords/password-hasher.js'
import { ACCOUNT_MAX_LENGTH } from '../src/users/account.js'
import { USER_ID_MAX } from '../src/users/user-id.js'

export const ERROR_SCHEMA_ID = 'ApiError'

// Response schemas for the error statuses a route can answer; every route lists its own.
export function errorResponses (...statusCodes: number[]): Record<number, { $ref: string }> {
  return Object.fromEntries(statusCodes.map((statusCode) => [statusCode, { $ref: `${ERROR_SCHEMA_ID}#` }]))
}

export const successSchema = {
  type: 'object',
  required: ['result'],
  properties: { result: { type: 'string', enum: ['success'] } }
} as const

export default fp(async (fastify) => {
  fastify.addSchema({
    $id: ERROR_SCHEMA_ID,
    type: 'object',
    required: ['code', 'errorCode', 'info'],
    properties: {
      code: { type: 'integer', enum: [0] },
      errorCode: { type: 'string', description: 'Stable error code, e.g. "1001" (see docs/api.md)' },
      info: { type: 'string', description: 'Human-readable message' },
      reason: { type: 'string', description: 'Why a session ended (errorCode 1002)' }
    }
  })
}, { name: 'api-schemas' })

// Control characters (\p{Cc}: NUL, tab, line breaks, DEL, C1) are refused in strings that are
// stored: PostgreSQL refuses NUL in text (which would be a 500, not a 400), and the others have
// no place in an account name or a device label shown in session lists. Ajv compiles patterns
// with the `u` flag, so \p{...} works. The account also needs one character that is not a space;
// the pattern's first two classes are disjoint, so a long input cannot make it backtrack.
const ACCOUNT_PATTERN = '^[^\\S\\p{Cc}]*[^\\s\\p{Cc}]\\P{Cc}*$'
export const NO_CONTROL_CHARACTERS_PATTERN = '^\\P{Cc}*$'
// Path parameters are strings, and the server does not coerce types: an integer id is sent as
// digits. Ten at most; whether the number is in range is for the route to say (usually a 404).
const POSITIVE_INTEGER_PATTERN = '^[1-9][0-9]{0,9}$'
export const accountSchema = { type: 'string', minLength: 1, maxLength: ACCOUNT_MAX_LENGTH, pattern: ACCOUNT_PATTERN } as const
export const passwordSchema = { type: 'string', minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH } as const
// A password being checked rather than set: one that predates today's length rules must still
// get a plain "wrong password", not a validation error.
export const loginPasswordSchema = { type: 'string', minLength: 1, maxLength: PASSWORD_MAX_LENGTH } as const
export const deviceIdSchema = { type: 'string', minLength: 1, maxLength: 128, pattern: NO_CONTROL_CHARACTERS_PATTERN } as const

// What a pattern asks for, in words: a client told "must match pattern ^[^\\S\\p{Cc}]*..." learns
// little. Schema failures (see schemaErrorFormatter in app.ts) say this instead.
export const PATTERN_MEANINGS: Readonly<Record<string, string>> = {
  [ACCOUNT_PATTERN]: 'must contain a character that is not a space, and no control characters',
  [NO_CONTROL_CHARACTERS_PATTERN]: 'must not contain control characters',
  [POSITIVE_INTEGER_PATTERN]: 'must be a positive integer'
}
export const integerIdParamSchema = { type: 'string', pattern: POSITIVE_INTEGER_PATTERN } as const
export const userIdSchema = { type: 'integer', minimum: 1, maximum: USER_ID_MAX } as const
export const userTypeSchema = { type: 'string', enum: ['user', 'admin'] } as const

export const issuedSessionSchema = {
  type: 'object',
  required: ['result', 'token', 'userId', 'userType', 'sessionId'],
  properties: {
    result: { type: 'string', enum: ['success'] },
    token: { type: 'string', description: 'Session JWT (refresh strategy: the access token); send it in the token header' },
    userId: userIdSchema,
    userType: userTypeSchema,
    sessionId: { type: 'string' },
    expiresIn: { type: 'integer', description: 'Refresh strategy: seconds until the access token expires' },
    refreshToken: { type: 'string', description: 'Refresh strategy: send it to POST /auth/refresh' },
    refreshExpiresIn: { type: 'integer', description: 'Refresh strategy: seconds until the refresh token expires' }
  }
} as const

export const sessionListSchema = {
  type: 'object',
  required: ['sessions'],
  properties: {
    sessions: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'deviceId', 'userAgent', 'ip', 'loginAt', 'current'],
        properties: {
          id: { type: 'string' },
          deviceId: { type: ['string', 'null'] },
          userAgent: {
            type: ['string', 'null'],
            description: "a label of the browser or client made from the login's User-Agent header, e.g. 'Chrome 131 on macOS'; " +
              'a client no parser recognises keeps the start of its header (at most 64 bytes)'
          },
          ip: { type: 'string' },
          loginAt: { type: 'integer', description: 'ms since epoch' },
          lastSeenAt: { type: 'integer', description: 'ms since epoch' },
          current: { type: 'boolean' }
        }
      }
    }
  }
} as const

export const revokedCountSchema = {
  type: 'object',
  required: ['result', 'revoked'],
  properties: { result: { type: 'string', enum: ['success'] }, revoked: { type: 'integer' } }
} as const

// How a route that needs a session is described in the OpenAPI document.
export const sessionSecurity: Array<Record<string, string[]>> = [{ tokenHeader: [] }, { bearer: [] }, { cookie: [] }]
