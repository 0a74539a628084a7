import { Type, type TUnsafe } from '@sinclair/typebox'

// Schema builders for the few shapes TypeBox writes differently from what OpenAPI 3.0 and
// fast-json-stringify read best. Each stays plain JSON Schema and keeps its TypeScript type.

// `{type: 'string', enum}` rather than TypeBox's union of literals (an `anyOf`).
export function StringEnum<const Values extends readonly string[]> (values: Values): TUnsafe<Values[number]> {
  return Type.Unsafe<Values[number]>({ type: 'string', enum: values })
}

// `{type: ['string', 'null']}` rather than an `anyOf`; the OpenAPI document says `nullable: true`.
export function NullableString (options: { description?: string } = {}): TUnsafe<string | null> {
  return Type.Unsafe<string | null>({ ...options, type: ['string', 'null'] })
}

// `{type: ['integer', 'null']}`, as NullableString.
export function NullableInteger (options: { description?: string } = {}): TUnsafe<number | null> {
  return Type.Unsafe<number | null>({ ...options, type: ['integer', 'null'] })
}

// A Date in the handler's hands, an ISO 8601 string on the wire: the serializer formats it.
export function DateTime (): TUnsafe<Date> {
  return Type.Unsafe<Date>({ type: 'string', format: 'date-time' })
}
