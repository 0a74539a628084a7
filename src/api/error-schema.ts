import { Type } from '@sinclair/typebox'
import type { ErrorBody } from '../../contract/api-contract.js'
import { conformingTo } from './contract-conformance.js'

// The one shape of every error answer, from the auth server and from services using its check.
// Registered once under its $id (plugins/api-schemas.ts); routes refer to it by errorResponses.
export const ERROR_SCHEMA_ID = 'ApiError'

export const ErrorBodySchema = conformingTo<ErrorBody>()(Type.Object({
  code: Type.Unsafe<0>({ type: 'integer', enum: [0] }),
  errorCode: Type.String({ description: 'Stable error code, e.g. "1001" (see docs/api.md)' }),
  info: Type.String({ description: 'Human-readable message' }),
  reason: Type.Optional(Type.String({ description: 'Why a session ended (errorCode 1002); "banned" with errorCode 1011; "challenge_expired" with errorCode 1010 from the second-factor login' })),
  maxAge: Type.Optional(Type.Integer({ description: 'How recent, in seconds, the sign-in must be (errorCode 1005)' })),
  until: Type.Optional(Type.String({ format: 'date-time', description: 'errorCode 1011: when the ban lifts by itself' })),
  challenge: Type.Optional(Type.String({ description: 'errorCode 1012: what POST /auth/login/second-factor takes with the code' }))
}, { $id: ERROR_SCHEMA_ID }))

export type { ErrorBody } from '../../contract/api-contract.js'

const ErrorBodyRef = Type.Unsafe<ErrorBody>({ $ref: `${ERROR_SCHEMA_ID}#` })

// Response schemas for the error statuses a route can answer; every route lists its own.
export function errorResponses (...statusCodes: number[]): Record<number, typeof ErrorBodyRef> {
  return Object.fromEntries(statusCodes.map((statusCode) => [statusCode, ErrorBodyRef]))
}
