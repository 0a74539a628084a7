import type { FastifyError, FastifyInstance } from 'fastify'
import type { ErrorBody } from '@token-session-auth/fastify'

// Every refusal in the auth server's one error shape, {code: 0, errorCode, info, reason?}, with
// its codes, so a client (the auth server's SDK among them) reads this service as it reads the
// server: no new codes for a client to learn.
export const ERROR_CODES = {
  // The server's "wrong account or password" at login (401): here, a wrong, expired or used code.
  // Not 1001 or 1002: those tell a client its session is gone.
  wrongCode: '1010',
  tooManyRequests: '1029',
  invalidInput: '1400',
  notFound: '1404',
  internal: '1500'
} as const

// The plugin's coded errors (app.sessions, Redis outages) carry `AUTH_<errorCode>`.
const CODED_ERROR = /^AUTH_([0-9]{4})$/
const INTERNAL_ERROR_STATUS = 500
const FASTIFY_ERROR_PREFIX = 'FST_'

export function errorBody (errorCode: string, info: string, reason?: string): ErrorBody {
  return reason === undefined ? { code: 0, errorCode, info } : { code: 0, errorCode, info, reason }
}

function reasonOf (error: FastifyError): string | undefined {
  return 'reason' in error && typeof error.reason === 'string' ? error.reason : undefined
}

export function answerErrorsInTheServersShape (app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const errorCode = CODED_ERROR.exec(error.code)?.[1]
    const statusCode = error.validation !== undefined ? 400 : error.statusCode ?? INTERNAL_ERROR_STATUS
    if (errorCode !== undefined) {
      // An outage (503 "1503", never a sign-out): its cause to the log, its code to the client.
      if (statusCode >= INTERNAL_ERROR_STATUS) request.log.warn({ err: error.cause ?? error }, error.message)
      return reply.code(statusCode).send(errorBody(errorCode, error.message, reasonOf(error)))
    }
    // Fastify's refusals of the client's input: a schema failure, malformed JSON, a body too
    // large or not JSON.
    if (statusCode < INTERNAL_ERROR_STATUS && (error.validation !== undefined || error.code.startsWith(FASTIFY_ERROR_PREFIX))) {
      return reply.code(statusCode).send(errorBody(ERROR_CODES.invalidInput, error.message))
    }
    request.log.error({ err: error }, 'request failed')
    return reply.code(INTERNAL_ERROR_STATUS).send(errorBody(ERROR_CODES.internal, 'Internal error'))
  })
  app.setNotFoundHandler((request, reply) => {
    return reply.code(404).send(errorBody(ERROR_CODES.notFound, `Route ${request.method} ${request.url.split('?')[0] ?? ''} not found`))
  })
}
