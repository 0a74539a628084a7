import type { FastifyError } from 'fastify'
import fp from 'fastify-plugin'
import { ERROR_CODES, NotFoundError } from '../src/errors/api-errors.js'
import { apiErrorAnswer, errorBody } from '../src/errors/error-body.js'

// The one place errors become responses, all in one shape. 5xx details go to the log only.
export default fp(async (fastify) => {
  fastify.setErrorHandler(function handleError (error: FastifyError & { reason?: string, retryAfterSeconds?: number }, request, reply) {
    const answer = apiErrorAnswer(error)
    if (answer !== undefined) {
      if (answer.statusCode >= 500) request.log.warn({ err: error.cause ?? error }, error.message)
      if (answer.retryAfterSeconds !== undefined) reply.header('retry-after', String(answer.retryAfterSeconds))
      return reply.code(answer.statusCode).send(answer.body)
    }
    const statusCode = error.statusCode ?? 500
    // Schema failures, malformed JSON, bodies too large or of the wrong type: the client's input.
    if (error.validation !== undefined || (statusCode >= 400 && statusCode < 500)) {
      return reply.code(error.validation !== undefined ? 400 : statusCode).send(errorBody(ERROR_CODES.invalidInput, error.message))
    }
    request.log.error({ err: error }, 'unhandled error')
    return reply.code(500).send(errorBody(ERROR_CODES.internal, 'Internal server error'))
  })

  fastify.setNotFoundHandler(function handleNotFound (request) {
    throw new NotFoundError(`Route ${request.method} ${request.url.split('?')[0] ?? ''} not found`)
  })
}, { name: 'error-handler' })
