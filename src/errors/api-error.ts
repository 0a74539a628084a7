import { format } from 'node:util'

// An error of the API's registry (api-errors.ts). Its `code` is `AUTH_<errorCode>` and its
// `statusCode` the HTTP status: the fields the error handler and the session check render, and
// the ones Fastify reads from any thrown error. A plain Error, so the core needs no Fastify
// import; the Fastify layer renders these as it renders its own coded errors.
export class ApiError extends Error {
  static {
    this.prototype.name = 'ApiError'
  }

  constructor (readonly code: string, readonly statusCode: number, message: string, options?: ErrorOptions) {
    super(message, options)
  }
}

type MessageArgument = string | number
// A 503 says what failed, and carries the failure it stands for.
type WithCause<Args extends MessageArgument[]> = Args | [...Args, { cause: unknown }]

export type ApiErrorClass<Args extends MessageArgument[]> = new (...args: WithCause<Args>) => ApiError

// The class of one registry entry. `message` is a util.format template filled from the
// constructor's arguments. Without `stack` the error has none: an expected client error on the
// hot path (a 401) stays cheap, and its log line short.
export function apiErrorClass<Args extends MessageArgument[] = []> (
  code: string, message: string, statusCode: number, { stack = true }: { stack?: boolean } = {}
): ApiErrorClass<Args> {
  const RegistryError = class extends ApiError {
    constructor (...args: WithCause<Args>) {
      const values = args.filter((arg): arg is MessageArgument => typeof arg !== 'object')
      const options = args.find((arg): arg is { cause: unknown } => typeof arg === 'object')
      const stackTraceLimit = Error.stackTraceLimit
      // While the limit is not a number V8 records no stack, not even its first line.
      if (!stack) Reflect.set(Error, 'stackTraceLimit', undefined)
      try {
        super(code, statusCode, format(message, ...values), options)
      } finally {
        Error.stackTraceLimit = stackTraceLimit
      }
    }
  }
  // Logs name an error's class: every entry of the registry is an ApiError there.
  Object.defineProperty(RegistryError, 'name', { value: ApiError.name })
  return RegistryError
}
