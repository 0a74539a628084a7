// How a session was proven (the `amr` of RFC 8176): `["pwd"]` for a password login, `["pwd",
// "otp"]` after the second factor, or what app.sessions.start was told.

export const PASSWORD_AMR: readonly string[] = Object.freeze(['pwd'])
export const PASSWORD_AND_OTP_AMR: readonly string[] = Object.freeze(['pwd', 'otp'])

// One label: short and lowercase, as RFC 8176's registered values are (`pwd`, `otp`, `hwk`, `sms`).
export const AMR_LABEL_PATTERN = /^[a-z][a-z0-9_]{0,15}$/
export const AMR_MAX_LABELS = 8

const SEPARATOR = ' '

// What the session hash stores: nothing for ["pwd"], the common session, which Redis then holds
// without one more field; the labels separated by spaces otherwise ('' for none).
export function storedAmr (amr: readonly string[] | undefined): string | undefined {
  if (amr === undefined || (amr.length === 1 && amr[0] === PASSWORD_AMR[0])) return undefined
  return amr.join(SEPARATOR)
}

// The amr a stored field says; absent, the password login it was not stored for.
export function amrOfStored (stored: string | undefined): readonly string[] {
  if (stored === undefined) return PASSWORD_AMR
  return stored === '' ? [] : stored.split(SEPARATOR)
}

export function isAmr (value: unknown): value is string[] {
  return Array.isArray(value) && value.length <= AMR_MAX_LABELS &&
    value.every((label) => typeof label === 'string' && AMR_LABEL_PATTERN.test(label))
}
