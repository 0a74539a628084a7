import type { ErrorBody } from '../api/error-schema.js'
import { apiErrorCodeOf } from './api-errors.js'

export type { ErrorBody } from '../api/error-schema.js'

export function errorBody (errorCode: string, info: string, reason?: string): ErrorBody {
  return reason === undefined ? { code: 0, errorCode, info } : { code: 0, errorCode, info, reason }
}

export interface ApiErrorAnswer {
  statusCode: number
  body: ErrorBody
  retryAfterSeconds?: number
}

interface CodedError {
  code?: unknown
  message: string
  statusCode?: number
  reason?: string
  until?: string
  retryAfterSeconds?: number
  maxAge?: number
  challenge?: string
}

// How an error of the registry (src/errors/api-errors.ts) is answered; undefined for any other error.
export function apiErrorAnswer (error: CodedError): ApiErrorAnswer | undefined {
  const errorCode = apiErrorCodeOf(error)
  if (errorCode === undefined) return undefined
  const body = errorBody(errorCode, error.message, error.reason)
  if (error.maxAge !== undefined) body.maxAge = error.maxAge
  if (error.until !== undefined) body.until = error.until
  if (error.challenge !== undefined) body.challenge = error.challenge
  return { statusCode: error.statusCode ?? 500, body, retryAfterSeconds: error.retryAfterSeconds }
}
