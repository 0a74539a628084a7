import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { errorResponses } from '../src/api/error-schema.js'
import { observeDatabaseCalls } from '../src/db/database-failure.js'
import { BearerTokenRequiredError, ForbiddenError } from '../src/errors/api-errors.js'
import { NO_AUTH_EVENTS, NO_EVENT_DELIVERY_OBSERVER, type AuthEvents, type EventDeliveryObserver } from '../src/metrics/auth-events.js'
import { carriesForwardingHeader, MetricsAccessRule } from '../src/metrics/metrics-access.js'
import { parseDeviceRules } from '../src/config/device-rules.js'
import { PrometheusMetrics } from '../src/metrics/prometheus-metrics.js'
import { NO_DELIVERY_OBSERVER, type DeliveryObserver } from '../src/delivery/background-delivery.js'
import { observeRedisCalls } from '../src/redis/redis-failure.js'

declare module 'fastify' {
  interface FastifyInstance {
    // What the services tell about logins, sessions, refreshes, rate limits and hashing,
    // counted: with METRICS=on; a no-op with METRICS=off. The services hold it through
    // `authEvents` (plugins/events.ts), with the session events.
    metricsEvents: AuthEvents
    // The webhook's dead letters, unsigned entries and trimmed events, counted (or not: METRICS=off).
    metricsEventDelivery: EventDeliveryObserver
    // How each password-reset message ended (plugins/delivery.ts), counted (or not: METRICS=off).
    metricsRecoveryDelivery: DeliveryObserver
  }
}

const MS_PER_SECOND = 1000
// The route label of a request no route matched (404s): one value, whatever the URL was.
const UNMATCHED_ROUTE = 'unmatched'

// METRICS=on: GET /metrics in the Prometheus text format, and the counting behind it. Every
// name is in docs/metrics.md. METRICS=off: no route, no hook, and the services' events are not
// counted, so a request pays nothing for metrics.
export default fp(async (fastify) => {
  const { config } = fastify
  if (config.METRICS === 'off') {
    fastify.decorate('metricsEvents', NO_AUTH_EVENTS)
    fastify.decorate('metricsEventDelivery', NO_EVENT_DELIVERY_OBSERVER)
    fastify.decorate('metricsRecoveryDelivery', NO_DELIVERY_OBSERVER)
    return
  }

  // Read at each scrape: the plugins that own these are registered after this one.
  const metrics = new PrometheusMetrics({
    nearCache: () => fastify.hasDecorator('nearCache') ? fastify.nearCache : undefined,
    passwordHashing: () => fastify.hasDecorator('passwordHasher') ? fastify.passwordHasher.load : undefined,
    redisConnected: () => fastify.hasDecorator('redis') ? fastify.redis.status === 'ready' : undefined
  }, {
    nearCache: config.NEAR_CACHE === 'on',
    nearCacheMaxEntries: config.NEAR_CACHE_MAX_ENTRIES,
    deviceTypes: [...parseDeviceRules(config.SESSION_DEVICE_RULES).keys()]
  })
  fastify.decorate('metricsEvents', metrics)
  fastify.decorate('metricsEventDelivery', metrics)
  fastify.decorate('metricsRecoveryDelivery', metrics)
  const stopObserving = [observeRedisCalls(metrics), observeDatabaseCalls(metrics)]
  fastify.addHook('onClose', async () => { for (const stop of stopObserving) stop() })

  // The route's pattern (/auth/sessions/:id), never the URL: one series per route, not per id.
  fastify.addHook('onResponse', (request, reply, done) => {
    metrics.httpRequestEnded(request.method, request.routeOptions.url ?? UNMATCHED_ROUTE, reply.statusCode, reply.elapsedTime / MS_PER_SECOND)
    done()
  })

  const access = new MetricsAccessRule({ token: config.METRICS_TOKEN, allow: config.metricsAllow })
  if (access.isLoopbackOnly) {
    fastify.log.info('METRICS=on: /metrics answers loopback only; set METRICS_TOKEN or METRICS_ALLOW for a scraper elsewhere')
  }

  function assertMayRead (request: FastifyRequest, reply: FastifyReply): void {
    const judged = access.judge({
      peerAddress: request.socket.remoteAddress,
      clientAddress: request.ip,
      forwarded: carriesForwardingHeader(request.headers),
      authorization: request.headers.authorization
    })
    if (judged === 'address_refused') throw new ForbiddenError('/metrics is served to loopback and METRICS_ALLOW only')
    if (judged === 'token_refused') {
      reply.header('www-authenticate', 'Bearer')
      throw new BearerTokenRequiredError()
    }
  }

  fastify.get('/metrics', {
    schema: {
      summary: 'Metrics in the Prometheus text format (METRICS=on)',
      tags: ['operations'],
      response: { 200: { type: 'string', description: 'Prometheus text format 0.0.4' }, ...errorResponses(401, 403) }
    }
  }, async (request, reply) => {
    assertMayRead(request, reply)
    reply.type(metrics.contentType)
    return await metrics.text()
  })
}, { name: 'metrics', dependencies: ['config', 'api-schemas', 'error-handler', 'docs'] })
