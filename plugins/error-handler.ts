import type { FastifyError } from 'fastify'
import fp from 'fastify-plugin'
import { apiErrorCodeOf, INTERNAL_ERROR_CODE, INVALID_INPUT_ERROR_CODE, NotFoundError } from '../src/errors/api-errors.js'

export interface ErrorBody {
  code: 0
  errorCode: string
  info: string
  reason?: string
}

export function errorBody (errorCode: string, info: string, reason?: string): ErrorBody {
  return reason === undefined ? { code: 0, errorCode, info } : { code: 0, errorCode, info, reason }
}

// The one place errors become responses, all in one shape. 5xx details go to the log only.
export default fp(async (fastify) => {
  fastify.setErrorHandler(function handleError (error: FastifyError & { reason?: string, retryAfterSeconds?: number }, request, reply) {
    const errorCode = apiErrorCodeOf(error)
    const statusCode = error.statusCode ?? 500
    if (errorCode !== undefined) {
      if (statusCode >= 500) request.log.warn({ err: error.cause ?? error }, error.message)
      if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.retryAfterSeconds))
      return reply.code(statusCode).send(errorBody(errorCode, error.message, error.reason))
    }
    // Schema failures, malformed JSON, bodies too large or of the wrong type: the client's input.
    if (error.validation !== undefined || (statusCode >= 400 && statusCode < 500)) {
      return reply.code(error.validation !== undefined ? 400 : statusCode).send(errorBody(INVALID_INPUT_ERROR_CODE, error.message))
    }
    request.log.error({ err: error }, 'unhandled error')
    return reply.code(500).send(errorBody(INTERNAL_ERROR_CODE, 'Internal server error'))
  })

  fastify.setNotFoundHandler(function handleNotFound (request) {
    throw new NotFoundError(`Route ${request.method} ${request.url.split('?')[0] ?? ''} not found`)
  })
}, { name: 'error-handler' })
