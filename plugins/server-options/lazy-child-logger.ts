import type { FastifyBaseLogger } from 'fastify'

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace'
type Bindings = Parameters<FastifyBaseLogger['child']>[0]
type ChildOptions = Parameters<FastifyBaseLogger['child']>[1]
// pino's numeric levels: a call at a level below the logger's is dropped.
const LEVEL_VALUES: Record<Level | 'silent', number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity }

// Fastify gives every request a pino child logger carrying its request id. Making one (bindings,
// serializers, redaction) costs a few percent of a cached authenticated request, and with request
// logging off (LOG_LEVEL=warn and above) most requests never log. This stands in for the child
// and makes it at the first line actually written; calls at disabled levels cost nothing.
class LazyChildLogger implements FastifyBaseLogger {
  private made?: FastifyBaseLogger

  constructor (
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildOptions
  ) {}

  get level (): string {
    return this.made?.level ?? this.parent.level
  }

  set level (level: string) {
    this.real().level = level
  }

  // pino's log functions are overloaded (object and message, message and format arguments);
  // each call is passed on exactly as made.

  fatal (...args: any[]): void { this.write('fatal', args) }
  error (...args: any[]): void { this.write('error', args) }
  warn (...args: any[]): void { this.write('warn', args) }
  info (...args: any[]): void { this.write('info', args) }
  debug (...args: any[]): void { this.write('debug', args) }
  trace (...args: any[]): void { this.write('trace', args) }

  silent (): void {}

  child (bindings: Bindings, options?: ChildOptions): FastifyBaseLogger {
    return this.real().child(bindings, options)
  }

  private real (): FastifyBaseLogger {
    this.made ??= this.parent.child(this.bindings, this.options)
    return this.made
  }

  private write (level: Level, args: unknown[]): void {
    if (LEVEL_VALUES[level] < (LEVEL_VALUES[this.level as Level] ?? 0)) return
    ;(this.real()[level] as (...forwarded: unknown[]) => void)(...args)
  }
}

// Request logs (incoming request, request completed) are info: above it, most requests write none.
export function requestLoggingIsOff (level: string): boolean {
  return LEVEL_VALUES[level as Level] > LEVEL_VALUES.info
}

export function lazyChildLoggerFactory (logger: FastifyBaseLogger, bindings: Bindings, options: ChildOptions): FastifyBaseLogger {
  return new LazyChildLogger(logger, bindings, options)
}
