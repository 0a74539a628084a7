import { Type } from '@sinclair/typebox'
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../passwords/password-hasher.js'
import { USER_TYPES } from '../../contract/api-contract.js'
import { DEVICE_TYPE_PATTERN } from '../sessions/device-rules.js'
import { AMR_LABEL_PATTERN, AMR_MAX_LABELS } from '../sessions/session-amr.js'
import { ACCOUNT_MAX_LENGTH } from '../users/account.js'
import { USER_ID_MAX, USER_ID_STRING_MAX_LENGTH, USER_ID_STRING_PATTERN, type UserId } from '../users/user-id.js'
import { StringEnum } from './schema-types.js'

// The fields several routes read or answer, each written once.

// Control characters (\p{Cc}: NUL, tab, line breaks, DEL, C1) are refused in strings that are
// stored: PostgreSQL refuses NUL in text (which would be a 500, not a 400), and the others have
// no place in an account name or a device label shown in session lists. So are format characters
// (\p{Cf}: bidirectional overrides and isolates such as U+202E, zero-width spaces and joiners,
// U+FEFF): invisible, they make a label read as something other than what it holds. (An emoji
// built with a zero-width joiner is refused with them.) Ajv compiles patterns with the `u` flag,
// so \p{...} works. The account also needs one character that is not a space; the pattern's
// first two classes are disjoint, so a long input cannot make it backtrack.
const ACCOUNT_PATTERN = '^[^\\S\\p{Cc}\\p{Cf}]*[^\\s\\p{Cc}\\p{Cf}][^\\p{Cc}\\p{Cf}]*$'
export const NO_CONTROL_CHARACTERS_PATTERN = '^[^\\p{Cc}\\p{Cf}]*$'
// Path parameters are strings, and the server does not coerce types: an integer id is sent as
// digits. Ten at most; whether the number is in range is for the route to say (usually a 404).
const POSITIVE_INTEGER_PATTERN = '^[1-9][0-9]{0,9}$'
// A page size in a query string: 1 to PAGE_SIZE_MAX, in digits.
export const PAGE_SIZE_MAX = 200
const PAGE_SIZE_PATTERN = '^([1-9][0-9]?|1[0-9]{2}|200)$'
// A one-time code as a person types it: six digits from an authenticator app, or a backup code
// (letters and digits, perhaps grouped by hyphens or spaces).
const ONE_TIME_CODE_PATTERN = '^[0-9A-Za-z -]+$'

// What a pattern asks for, in words: a client told "must match pattern ^[^\\S\\p{Cc}]*..." learns
// little. Schema failures (see schemaErrorFormatter in app.ts) say this instead.
export const PATTERN_MEANINGS: Readonly<Record<string, string>> = {
  [ACCOUNT_PATTERN]: 'must contain a character that is not a space, and no control or format characters',
  [NO_CONTROL_CHARACTERS_PATTERN]: 'must not contain control or format characters',
  [POSITIVE_INTEGER_PATTERN]: 'must be a positive integer',
  [PAGE_SIZE_PATTERN]: `must be an integer from 1 to ${PAGE_SIZE_MAX}`,
  [USER_ID_STRING_PATTERN]: `must be 1 to ${USER_ID_STRING_MAX_LENGTH} characters A-Z a-z 0-9 _ -`,
  [ONE_TIME_CODE_PATTERN]: 'must be letters, digits, spaces and hyphens only',
  [AMR_LABEL_PATTERN.source]: 'must be a lowercase letter, then up to 15 of a-z 0-9 _'
}

export const AccountSchema = Type.String({ minLength: 1, maxLength: ACCOUNT_MAX_LENGTH, pattern: ACCOUNT_PATTERN })
export const PasswordSchema = Type.String({ minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH })
// A password being checked rather than set: one that predates today's length rules must still
// get a plain "wrong password", not a validation error.
export const LoginPasswordSchema = Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH })
export const DeviceIdSchema = Type.String({ minLength: 1, maxLength: 128, pattern: NO_CONTROL_CHARACTERS_PATTERN })
// The device type whose SESSION_DEVICE_RULES the session follows (phone, tv, web, ...).
export const DeviceTypeSchema = Type.String({
  pattern: DEVICE_TYPE_PATTERN.source,
  description: 'the kind of device, whose SESSION_DEVICE_RULES the session follows: a lowercase letter, then up to 15 of a-z 0-9 _ -'
})
// false: a browser session, whose cookies end with the browser and whose idle timeout is SESSION_TTL_NOT_REMEMBERED.
export const RememberMeSchema = Type.Boolean({
  description: 'false: cookies without Max-Age/Expires, and the idle timeout SESSION_TTL_NOT_REMEMBERED unless a device rule sets one (default true)'
})
export const IntegerIdParamSchema = Type.String({ pattern: POSITIVE_INTEGER_PATTERN })
export const PageSizeQuerySchema = Type.String({ pattern: PAGE_SIZE_PATTERN, description: `1 to ${PAGE_SIZE_MAX}` })
// This server's own users: the id of a row of its users table.
export const OwnUserIdSchema = Type.Integer({ minimum: 1, maximum: USER_ID_MAX })
// A session's user, this server's or another store's (src/users/user-id.ts). An `anyOf`, whose
// branches no value matches both of: the validator does not coerce, and the serializer picks the
// branch the value matches, so `123` is answered as a number and `"123"` as a string.
export const UserIdSchema = Type.Union([
  OwnUserIdSchema,
  Type.String({ minLength: 1, maxLength: USER_ID_STRING_MAX_LENGTH, pattern: USER_ID_STRING_PATTERN })
], { description: `An integer 1..${USER_ID_MAX}, or a string of 1 to ${USER_ID_STRING_MAX_LENGTH} characters A-Z a-z 0-9 _ - (digits name the same user as that number)` }) satisfies { static: UserId }
// A path parameter naming a user: always a string, so digits and any other id alike.
export const UserIdParamSchema = Type.String({ minLength: 1, maxLength: USER_ID_STRING_MAX_LENGTH, pattern: USER_ID_STRING_PATTERN })
export const UserTypeSchema = StringEnum(USER_TYPES)

export const SuccessSchema = Type.Object({ result: StringEnum(['success']) })

// How a session was proven (RFC 8176 amr values).
export const AmrSchema = Type.Array(Type.String({ pattern: AMR_LABEL_PATTERN.source }), {
  maxItems: AMR_MAX_LABELS,
  description: 'how the session was proven, RFC 8176 amr values: ["pwd"] for a password login, ["pwd", "otp"] with the second factor'
})
export const OneTimeCodeSchema = Type.String({
  minLength: 6,
  maxLength: 32,
  pattern: ONE_TIME_CODE_PATTERN,
  description: 'a current code of the authenticator app (6 digits) or an unused backup code'
})
