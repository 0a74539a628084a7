import type { FastifyError, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { ERROR_CODES, NotFoundError } from '../src/errors/api-errors.js'
import { apiErrorAnswer, errorBody } from '../src/errors/error-body.js'

// Every body the API reads is JSON. A body of another type says so in its info, not in what the
// schema then finds wrong with it.
export const JSON_CONTENT_TYPE_REQUIRED = 'content-type must be application/json'
const UNSUPPORTED_MEDIA_TYPE = 415
// Fastify's refusal of a body whose content type it has no parser for, or of one without any.
const NO_PARSER_FOR_CONTENT_TYPE = 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
const JSON_MEDIA_TYPE = 'application/json'

function sentAsJson (request: FastifyRequest): boolean {
  const mediaType = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase()
  return mediaType === JSON_MEDIA_TYPE
}

// A body sent without content-type, or with one Fastify does not parse, is refused 415 before
// any schema runs. A text/plain body is parsed (Fastify's default parser) and reaches the schema
// as a string: "body must be object" would hide the cause, which is the content type.
function isBodyOfWrongType (error: FastifyError, request: FastifyRequest): boolean {
  if (error.code === NO_PARSER_FOR_CONTENT_TYPE) return true
  return error.validationContext === 'body' && request.body !== undefined && !sentAsJson(request)
}

// The one place errors become responses, all in one shape. 5xx details go to the log only.
export default fp(async (fastify) => {
  fastify.setErrorHandler(function handleError (error: FastifyError & { reason?: string, retryAfterSeconds?: number }, request, reply) {
    const answer = apiErrorAnswer(error)
    if (answer !== undefined) {
      if (answer.statusCode >= 500) request.log.warn({ err: error.cause ?? error }, error.message)
      if (answer.retryAfterSeconds !== undefined) reply.header('retry-after', String(answer.retryAfterSeconds))
      return reply.code(answer.statusCode).send(answer.body)
    }
    if (isBodyOfWrongType(error, request)) {
      return reply.code(UNSUPPORTED_MEDIA_TYPE).send(errorBody(ERROR_CODES.invalidInput, JSON_CONTENT_TYPE_REQUIRED))
    }
    const statusCode = error.statusCode ?? 500
    // Schema failures, malformed JSON, bodies too large: the client's input.
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
