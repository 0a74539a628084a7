import type { UserId } from '../../contract/api-contract.js'

export type { UserId } from '../../contract/api-contract.js'

// A user id is this server's own (a PostgreSQL `integer` identity value, 1..USER_ID_MAX) or the
// id of another user store, a short string (UUID, ULID, a snowflake written as a string). A
// number outside the range names no user, and sent to PostgreSQL as an integer parameter it is
// an error ("out of range"), not a miss; so it is refused wherever it comes in.
export const USER_ID_MAX = 2_147_483_647
export const USER_ID_STRING_MAX_LENGTH = 64
// Letters, digits, `_` and `-`: what a Redis hash tag, a refresh token's prefix and a URL path
// carry without escaping. Bounded, so a key or a token stays short.
export const USER_ID_STRING_PATTERN = `^[A-Za-z0-9_-]{1,${USER_ID_STRING_MAX_LENGTH}}$`
const USER_ID_STRING = new RegExp(USER_ID_STRING_PATTERN)
// The rule in words, for the errors that refuse an id no schema has checked.
export const USER_ID_RULE = `a positive integer up to ${USER_ID_MAX}, or 1-${USER_ID_STRING_MAX_LENGTH} characters of A-Z a-z 0-9 _ -`
// How this server writes an integer id: no sign, no leading zero, ten digits at most.
const INTEGER_USER_ID_DIGITS = /^[1-9][0-9]{0,9}$/

export function isIntegerUserId (value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1 && value <= USER_ID_MAX
}

export function isUserId (value: unknown): value is UserId {
  return isIntegerUserId(value) || (typeof value === 'string' && USER_ID_STRING.test(value))
}

// The form a user id takes in keys (the Redis hash tag `{<userId>}`, the PostgreSQL `text`
// columns, rate-limit buckets): `123` and `"123"` name the same user, so they share every key.
export function userIdKey (userId: UserId): string {
  return String(userId)
}

// The id a key names, when nothing says which kind it was: digits that make an integer id are
// read as that number, anything else as a string. (`"0123"` and `"2147483648"` stay strings:
// this server never writes an integer id so.)
export function userIdOfKey (key: string): UserId {
  return INTEGER_USER_ID_DIGITS.test(key) && isIntegerUserId(Number(key)) ? Number(key) : key
}

// A string id that its key would read back as a number: where an id is stored only as its key,
// such an id must be marked to come back as the string it was.
export function keyHidesStringUserId (userId: UserId): boolean {
  return typeof userId === 'string' && typeof userIdOfKey(userId) === 'number'
}

// Library code takes ids from its callers' code, not through a schema: a bad one is a bug there.
export function assertUserId (value: unknown): asserts value is UserId {
  if (!isUserId(value)) {
    throw new TypeError(`a user id is an integer 1..${USER_ID_MAX} or a string of 1 to ${USER_ID_STRING_MAX_LENGTH} characters A-Z a-z 0-9 _ -, not ${JSON.stringify(value) ?? String(value)}`)
  }
}
