import fc from 'fast-check'
import type { FixtureField, FixtureName, FixtureRef } from './request-spec.js'

// The building blocks of generated requests: references to the fixtures, bad strings and
// numbers, any JSON, what a header can carry.

const FIXTURES: readonly FixtureName[] = ['victim', 'attacker', 'admin', 'outsider']
export const ref = (name: FixtureRef): { $ref: FixtureRef } => ({ $ref: name })
export const refsOf = (field: FixtureField, names = FIXTURES): fc.Arbitrary<{ $ref: FixtureRef }> =>
  fc.constantFrom(...names.map((name) => ref(`${name}.${field}`)))

export const repeated = (text: string, times: number): { $repeat: string, times: number } => ({ $repeat: text, times })

const BASE64URL = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_']
export const base64urlOf = (length: number): fc.Arbitrary<string> =>
  fc.string({ unit: fc.constantFrom(...BASE64URL), minLength: length, maxLength: length })

// User ids of other user stores, strings of A-Z a-z 0-9 _ - (the base64url alphabet), at and
// past their bounds; the fixtures' ids written as strings, which name the same users; and with
// a leading zero, which name other users ("0123" is not 123).
export const stringUserId = fc.oneof(
  fc.uuid(),
  fc.string({ unit: fc.constantFrom(...BASE64URL), minLength: 1, maxLength: 65 }),
  refsOf('userId').map((userId) => ({ $join: [userId], $with: '' })),
  refsOf('userId').map((userId) => ({ $join: ['0', userId], $with: '' })),
  fc.constantFrom('0', '01', '2147483648', '99999999999', repeated('x', 64), repeated('9', 64))
)

// NUL and other C0/C1 controls, DEL, line and paragraph separators, lone surrogates, an RTL
// override, a BOM, astral characters, and what Redis keys and JSON treat specially.
const NASTY_CHARS = [
  '\u0000', '\u0001', '\t', '\n', '\r', '\u001b', '\u007f', '\u0085', '\u009f', '\u00a0', '\u2028', '\u202e',
  '\ufeff', '\ud800', '\udfff', '\u{1f600}', 'é', '%', '"', '\\', ':', '{', '}', '*', ' '
]
// NUL is what PostgreSQL refuses in text: drawn more often than the rest.
const nastyChar = fc.oneof(fc.constant('\u0000'), fc.constantFrom(...NASTY_CHARS))
const LIMIT_LENGTHS = [7, 8, 128, 129, 254, 255, 256, 257, 4097] as const

export const nastyString = fc.oneof(
  fc.string({ unit: fc.oneof(nastyChar, fc.constantFrom('a', '@', '.')), maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 24 }),
  fc.constantFrom(...LIMIT_LENGTHS).map((length) => repeated('a', length)),
  // A plausible value with one bad character inside: the case a schema without a pattern lets through.
  {
    weight: 3,
    arbitrary: fc.tuple(fc.constantFrom('ada@example.com', 'phone-7', 'correct horse'), nastyChar, fc.nat())
      .map(([text, char, at]) => text.slice(0, at % text.length) + char + text.slice(at % text.length))
  }
)

export const nastyNumber = fc.oneof(
  fc.constantFrom(0, -1, 1, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 53 - 1, 2 ** 53 + 2, -(2 ** 31), 1.5, 1e21, 1e308, -1e308),
  fc.integer(),
  fc.double()
)

export const anyJson = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.jsonValue({ maxDepth: 2, stringUnit: 'binary' }),
  nastyNumber,
  nastyString
)

// An optional field's value: a likely one nine times out of ten, else one its schema refuses or
// anything. A route with several optional fields would otherwise refuse most requests for one of
// them, and seldom get to what its required fields reach.
// An optional field's likely values, and values its schema refuses.
export interface LikelyAndBad {
  likely: fc.Arbitrary<unknown>
  bad: fc.Arbitrary<unknown>
}
export const likelyOrBad = (likely: fc.Arbitrary<unknown>, bad: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 9, arbitrary: likely }, { weight: 1, arbitrary: fc.oneof({ weight: 2, arbitrary: bad }, nastyString, anyJson) })

// Header values keep to what HTTP can carry: tab, visible ASCII and obs-text (Latin-1).
const headerChar = fc.oneof(
  fc.integer({ min: 0x20, max: 0x7e }), fc.constant(0x09), fc.integer({ min: 0x80, max: 0xff })
).map((code) => String.fromCharCode(code))
export const headerString = fc.string({ unit: headerChar, maxLength: 40 })

// A record whose every entry is present in about one case out of `oneIn` (fast-check's own
// optional keys are there five times out of six): for headers and cookies that change how a
// request is read (content type, CSRF proof), which must not hide everything else.
export function sometimes (model: Record<string, fc.Arbitrary<unknown>>, oneIn: number): fc.Arbitrary<Record<string, unknown>> {
  const entries = Object.entries(model).map(([name, value]) =>
    fc.oneof({ weight: oneIn - 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: value }).map((item) => [name, item] as const))
  return fc.tuple(...entries).map((pairs) => Object.fromEntries(pairs.filter(([, item]) => item !== undefined)))
}
