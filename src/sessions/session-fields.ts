// The field names of a session hash, spelled here and nowhere else. Redis stores every field
// name in every session, so they are one letter each: with long names a browser session does
// not fit the next smaller allocation, which costs 32 to 64 bytes per session.
export const SESSION_FIELDS = {
  userType: 't',
  account: 'a',
  loginAt: 'l',
  lastSeenAt: 's',
  deviceId: 'd',
  userAgent: 'u',
  ip: 'i',
  // Reissue only (SESSION_ROTATE_AFTER): the current token's iat, the one it replaced, and when.
  tokenIat: 'c',
  previousTokenIat: 'p',
  renewedAt: 'r'
} as const

export type SessionField = keyof typeof SESSION_FIELDS

// Sessions stored with long field names are still read: a field's long name is the record's
// property name (and such a session also has `userId`, which the key already says). The touch
// script writes such a session in its own names, so no session holds both.
export function storedField (hash: Record<string, string>, field: SessionField): string | undefined {
  return hash[SESSION_FIELDS[field]] ?? hash[field]
}

const FIELD_NAMES = Object.keys(SESSION_FIELDS) as SessionField[]

function luaTable (nameOf: (field: SessionField) => string): string {
  return `{${FIELD_NAMES.map((field) => `${field} = '${nameOf(field)}'`).join(', ')}}`
}

// The same names for the Lua scripts: FIELDS.account is 'a', LEGACY_FIELDS.account 'account'.
export const LUA_SESSION_FIELDS = `
local FIELDS = ${luaTable((field) => SESSION_FIELDS[field])}
local LEGACY_FIELDS = ${luaTable((field) => field)}
`
