// The field names of a session hash, spelled here and nowhere else. Redis stores every field
// name in every session, so they are one letter each: with long names a browser session does
// not fit the next smaller allocation, which costs 32 to 64 bytes per session.
// A browser session holds `t`, `a`, `l`, `w`, `v` and `i` only; the cost of each field is measured
// in docs/redis-keys.md#what-a-session-costs.
export const SESSION_FIELDS = {
  // In every session, 'user' too: the previous release refuses (1001) a session whose user type
  // is not its token's, and one without `t` has none.
  userType: 't',
  // In every session ('' in one started without an account): the previous release takes a
  // session without it for ended, and request.user.account is read from it.
  account: 'a',
  // Every session has it: a hash that lacks it is none, or one stored with long names.
  loginAt: 'l',
  // "Last seen" as ms after loginAt, which Redis stores in 6 bytes where a time takes 10.
  lastSeenAfterLogin: 'w',
  // "Last seen" in ms since the epoch, in sessions stored before `w`: read, and written to by
  // their touches. The previous release writes it beside `w` during a rolling upgrade: the later
  // of the two is "last seen".
  lastSeenAt: 's',
  deviceId: 'd',
  // The device label as a code of the built-in table (device-label-code.ts), or, when the table
  // cannot spell it, as text in `u`.
  deviceLabelCode: 'v',
  userAgent: 'u',
  // An IPv4 address as a signed integer (stored-ip.ts), any other address as text.
  ip: 'i',
  // Reissue only (SESSION_ROTATE_AFTER): the current token's iat, the one it replaced, and when.
  tokenIat: 'c',
  previousTokenIat: 'p',
  renewedAt: 'r',
  // Only in a session of a user id that is a string of digits such as "123", which its key
  // (`{123}`) would give back as the number 123: `'string'`. See userIdOfKey.
  userIdKind: 'k',
  // Only where the session has them (SESSION_DEVICE_RULES, rememberMe: false): its device type,
  // its own idle TTL and absolute lifetime in seconds where they differ from SESSION_TTL and
  // SESSION_MAX_LIFETIME, and '1' for a session not remembered (browser-session cookies).
  deviceType: 'y',
  idleTtl: 'e',
  maxLifetime: 'x',
  notRemembered: 'n',
  // When the user last proved who they are in this session (ms since the epoch), stored only
  // after a re-authentication: absent, it is loginAt.
  authAt: 'h',
  // How the user proved who they are (amr), the labels separated by spaces; absent for a password
  // login, the common session, which reads as ["pwd"] (see amrOfStored).
  amr: 'm'
} as const

export type SessionField = keyof typeof SESSION_FIELDS

// Sessions stored with long field names are still read: a field's long name is the record's
// property name (and such a session also has `userId`, which the key already says). The touch
// script writes such a session in its own names, so no session holds both.
export function storedField (hash: Record<string, string>, field: SessionField): string | undefined {
  return hash[SESSION_FIELDS[field]] ?? hash[field]
}

// The fields' names as a Lua list, `'a', 's'`, or their long names, `'account', 'lastSeenAt'`:
// spelled into the scripts as literals, which cost nothing per call, unlike a Lua table.
export function luaFieldNames (fields: readonly SessionField[], naming: 'compact' | 'long' = 'compact'): string {
  return fields.map((field) => `'${naming === 'compact' ? SESSION_FIELDS[field] : field}'`).join(', ')
}
