import AutoLoad from '@fastify/autoload'
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest, FastifySchemaValidationError, FastifyServerOptions } from 'fastify'
import { join } from 'node:path'
import type { Clock } from './src/clock.js'
import type { AppConfig } from './src/config/load-config.js'
import { trustProxyOption } from './src/config/trust-proxy.js'
import { lazyChildLoggerFactory, requestLoggingIsOff } from './plugins/server-options/lazy-child-logger.js'
import { PATTERN_MEANINGS } from './src/api/field-schemas.js'
import { errorBody } from './src/errors/error-body.js'
import { ERROR_CODES } from './src/errors/api-errors.js'
import { CSRF_HEADER } from './src/security/csrf.js'
import { refuseUpperCaseHeaderNames, sharedSchemaCompilers } from './plugins/server-options/compiled-schemas.js'

export interface AppOptions {
  config?: AppConfig
  // Tests pass a clock they move (see src/clock.ts); the server uses the system clock.
  clock?: Clock
}

// Login and password bodies are tiny; a small limit makes oversized ones cheap to refuse.
const BODY_LIMIT_BYTES = 16 * 1024
const REDACTED = '[redacted]'
const PLUGIN_START_TIMEOUT_MS = 60_000
// plugins/server-options/ holds parts of Fastify's own options (buildServerOptions), not plugins.
const NOT_PLUGINS = /^server-options(?:\/|$)/

// Fastify's wording ("body/account must NOT have fewer than 1 characters"), except that a
// pattern is said in words rather than as the regular expression.
function describeSchemaErrors (errors: FastifySchemaValidationError[], dataVar: string): Error {
  return new Error(errors.map((error) => {
    const pattern = error.keyword === 'pattern' ? error.params.pattern : undefined
    const meaning = typeof pattern === 'string' ? PATTERN_MEANINGS[pattern] : undefined
    return `${dataVar}${error.instancePath} ${meaning ?? error.message ?? 'is invalid'}`
  }).join(', '))
}

// Fastify's own options depend on the configuration (log level, proxy trust), so the entry
// point and the tests build them from the same loaded config as the app itself.
export function buildServerOptions (config: AppConfig): FastifyServerOptions {
  return {
    // The client IP is the rightmost X-Forwarded-For entry that is not a trusted proxy.
    trustProxy: trustProxyOption(config.trustedProxies),
    bodyLimit: BODY_LIMIT_BYTES,
    // Opening a fresh embedded PGlite takes seconds, more on a loaded machine; Fastify's 10 s
    // default start limit would fail a healthy start.
    pluginTimeout: PLUGIN_START_TIMEOUT_MS,
    // A password sent as a number is a client bug to report, not a value to convert.
    ajv: { customOptions: { coerceTypes: false } },
    schemaErrorFormatter: describeSchemaErrors,
    schemaController: { compilersFactory: sharedSchemaCompilers },
    ...(requestLoggingIsOff(config.LOG_LEVEL) ? { childLoggerFactory: lazyChildLoggerFactory } : {}),
    // The router refuses a broken percent-escape (400) or a path parameter over maxParamLength
    // (414) before any route or error handler runs: answered here in the one error shape.
    frameworkErrors: (error: FastifyError, _request: FastifyRequest, reply: FastifyReply) => {
      void reply.code(error.statusCode ?? 400).send(errorBody(ERROR_CODES.invalidInput, error.message))
    },
    logger: {
      level: config.LOG_LEVEL,
      // Secrets never reach the log, even if a serializer starts logging headers or bodies.
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          `req.headers["${config.TOKEN_HEADER}"]`,
          `req.headers["${CSRF_HEADER}"]`,
          'res.headers["set-cookie"]',
          'res.headers["x-renewed-token"]',
          'password', 'oldPassword', 'newPassword', 'token', 'refreshToken', 'challenge', 'secret', 'backupCodes',
          // ioredis attaches the failed command to its errors; its arguments hold accounts, IPs,
          // user agents (a session's fields) and key names.
          'err.command.args',
          '*.password', '*.oldPassword', '*.newPassword', '*.token', '*.refreshToken', '*.challenge', '*.secret', '*.backupCodes'
        ],
        censor: REDACTED
      }
    }
  }
}

// The whole server as one plugin, fastify-cli style: external and domain plugins first
// (their `dependencies` order them), then the routes, one folder per resource.
const app: FastifyPluginAsync<AppOptions> = async (fastify, options) => {
  fastify.addHook('onRoute', refuseUpperCaseHeaderNames)
  await fastify.register(AutoLoad, { dir: join(import.meta.dirname, 'plugins'), ignorePattern: NOT_PLUGINS, options })
  await fastify.register(AutoLoad, { dir: join(import.meta.dirname, 'routes'), options })
}

export default app
