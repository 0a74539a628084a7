import { LogController, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify'
import type { Writable } from 'node:stream'
import { isColorSupported, prettyFactory } from 'pino-pretty'

// `npm run dev` only: the log for a person at a terminal. pino still makes its JSON records,
// redacted as in production (app.ts), and pino-pretty turns each into a readable line; a request
// is one line, written when it is answered. Production and tests keep the JSON.

const DURATION_DECIMALS = 1

// "12:04:05.123 INFO: GET /auth/me 200 3.2 ms user 42"; another record's fields on its line, an
// error's stack indented below it. pino-pretty's formatter is called as pino writes each record
// (its stream form formats on a later tick): a line written just before the process exits is
// not lost, and the log stays in order with what the process writes to stderr.
export function prettyLogStream (out: Writable): { write: (record: string) => void } {
  const pretty = prettyFactory({
    translateTime: 'SYS:HH:MM:ss.l',
    customPrettifiers: { time: (time) => String(time) },
    ignore: 'pid,hostname,reqId',
    singleLine: true,
    colorize: isColorSupported && (out as Partial<NodeJS.WriteStream>).isTTY === true
  })
  return { write: (record) => { out.write(pretty(record)) } }
}

// Fastify's two request lines (incoming, completed) become one, written once the reply is sent
// and naming the user when the session check accepted the request.
class OneLinePerRequest extends LogController {
  override incomingRequest (): void {}

  override requestCompleted (error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    // `user` is null until the session check accepts the request.
    const userId = (request.user as typeof request.user | null | undefined)?.userId
    const line = `${request.method} ${request.url} ${reply.statusCode} ${reply.elapsedTime.toFixed(DURATION_DECIMALS)} ms` +
      (userId === undefined ? '' : ` user ${userId}`)
    if (error === null || error === undefined) reply.log.info(line)
    else reply.log.error({ err: error }, line)
  }
}

export function prettyServerOptions (options: FastifyServerOptions, out: Writable): FastifyServerOptions {
  const logger = typeof options.logger === 'object' ? options.logger : {}
  return { ...options, logController: new OneLinePerRequest(), logger: { ...logger, stream: prettyLogStream(out) } }
}
