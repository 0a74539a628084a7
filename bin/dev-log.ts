import { LogController, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify'
import { Writable } from 'node:stream'

// `npm run dev` only: the log for a person at a terminal. pino still writes its JSON lines,
// redacted as in production (app.ts), and this stream turns each into one readable line; a
// request is one line, written when it is answered. Production and tests keep the JSON.

export const REQUEST_LINE_MESSAGE = 'request answered'

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' }
// Fields every pino line carries, or that the line's own layout already shows.
const LAYOUT_FIELDS = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'reqId', 'err', 'request'])
const DURATION_DECIMALS = 1

export interface RequestLineFields {
  method: string
  url: string
  statusCode: number
  durationMs: number
  userId?: number
}

type LogEntry = Record<string, unknown>

function clockTime (time: unknown): string {
  const date = new Date(typeof time === 'number' ? time : Date.now())
  return date.toISOString().slice(11, 23)
}

function isRequestLine (value: unknown): value is RequestLineFields {
  if (typeof value !== 'object' || value === null) return false
  const fields = value as Partial<RequestLineFields>
  return typeof fields.method === 'string' && typeof fields.url === 'string' &&
    typeof fields.statusCode === 'number' && typeof fields.durationMs === 'number'
}

function extraFields (entry: LogEntry): string {
  return Object.entries(entry)
    .filter(([key]) => !LAYOUT_FIELDS.has(key))
    .map(([key, value]) => ` ${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join('')
}

function errorText (err: unknown): string {
  if (typeof err !== 'object' || err === null) return ''
  const { stack, message, type } = err as { stack?: unknown, message?: unknown, type?: unknown }
  if (typeof stack === 'string') return `\n    ${stack.split('\n').join('\n    ')}`
  return `\n    ${String(type ?? 'Error')}: ${String(message ?? '')}`
}

// "12:04:05.123 GET /auth/me 200 3.2 ms user 42", or "12:04:05.123 WARN message key=value",
// an error's stack indented below it.
export function formatLogLine (entry: LogEntry): string {
  const time = clockTime(entry.time)
  if (entry.msg === REQUEST_LINE_MESSAGE && isRequestLine(entry.request)) {
    const { method, url, statusCode, durationMs, userId } = entry.request
    const user = userId === undefined ? '' : ` user ${userId}`
    return `${time} ${method} ${url} ${statusCode} ${durationMs.toFixed(DURATION_DECIMALS)} ms${user}${errorText(entry.err)}`
  }
  const level = LEVEL_NAMES[typeof entry.level === 'number' ? entry.level : 30] ?? 'INFO'
  const message = typeof entry.msg === 'string' ? entry.msg : ''
  return `${time} ${level.padEnd(5)} ${message}${extraFields(entry)}${errorText(entry.err)}`
}

// A pino destination: each JSON line in, one formatted line out; anything else passes as written.
export function prettyLogStream (out: Writable): Writable {
  let pending = ''
  return new Writable({
    write (chunk: Buffer | string, _encoding, callback) {
      pending += chunk.toString()
      const lines = pending.split('\n')
      pending = lines.pop() ?? ''
      const text = lines.filter((line) => line !== '').map((line) => {
        try {
          return formatLogLine(JSON.parse(line) as LogEntry)
        } catch {
          return line
        }
      })
      if (text.length === 0) callback()
      else out.write(text.join('\n') + '\n', () => callback())
    }
  })
}

// Fastify's two request lines (incoming, completed) become one, written once the reply is sent
// and naming the user when the session check accepted the request.
class OneLinePerRequest extends LogController {
  override incomingRequest (): void {}

  override requestCompleted (error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const fields: RequestLineFields = {
      method: request.method,
      url: request.url,
      statusCode: reply.statusCode,
      durationMs: reply.elapsedTime
    }
    // `user` is null until the session check accepts the request.
    const userId = (request.user as typeof request.user | null | undefined)?.userId
    if (userId !== undefined) fields.userId = userId
    if (error === null || error === undefined) reply.log.info({ request: fields }, REQUEST_LINE_MESSAGE)
    else reply.log.error({ request: fields, err: error }, REQUEST_LINE_MESSAGE)
  }
}

export function prettyServerOptions (options: FastifyServerOptions, out: Writable): FastifyServerOptions {
  const logger = typeof options.logger === 'object' ? options.logger : {}
  return { ...options, logController: new OneLinePerRequest(), logger: { ...logger, stream: prettyLogStream(out) } }
}
