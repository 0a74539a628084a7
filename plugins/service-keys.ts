import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import { ForbiddenError, ServiceKeyRefusedError } from '../src/errors/api-errors.js'
import { ServiceKeyRing, type ServiceKeyCheck, type ServiceKeyIdentity, type ServiceKeyRefusal } from '../src/service-keys/service-key-ring.js'
import type { ServiceKeyScope } from '../src/service-keys/service-key-scopes.js'

declare module 'fastify' {
  interface FastifyInstance {
    // The onRequest hook of a /service/ route: 401 "1401" without a configured key, 403 "1403"
    // for a key without `scope`, 429 "1029" once the client IP has had RATE_LIMIT_SERVICE_KEY_IP
    // refusals. Before the body is parsed or validated: a caller without a key learns nothing of
    // what the route would accept.
    requireServiceKey: (scope: ServiceKeyScope) => onRequestAsyncHookHandler
  }
  interface FastifyRequest {
    // The key that called, once requireServiceKey has let the request through.
    serviceKey: ServiceKeyIdentity | null
  }
}

// Never the key itself, which only the Authorization header carries (redacted from the log).
const REFUSALS: Record<ServiceKeyRefusal, string> = {
  missing: 'A service key is required: Authorization: Bearer <key>',
  malformed: 'The Authorization header is not "Bearer <key>"',
  session_token: 'A session token is not a service key',
  unknown: 'Unknown service key'
}

// The actor of what a /service/ route does (`service:billing`), told in its session events.
export function serviceActorOf (request: FastifyRequest): string {
  if (request.serviceKey === null) throw new Error(`${request.method} ${request.url}: requireServiceKey did not run before the handler`)
  return `service:${request.serviceKey.name}`
}

function isRefused (check: ServiceKeyCheck): boolean {
  return 'refusal' in check
}

// The backends listed in SERVICE_KEYS (docs/api.md, "Service keys"). Registered whether or not any
// are: without them routes/service/ registers no route, so nothing calls the check.
export default fp(async (fastify) => {
  const ring = new ServiceKeyRing(fastify.config.serviceKeys)
  fastify.decorateRequest<ServiceKeyIdentity | null>('serviceKey', null)

  async function identify (request: FastifyRequest, reply: FastifyReply): Promise<ServiceKeyIdentity> {
    const check = await fastify.attemptLimiter.guardServiceKey(request.ip, () => ring.check(request.headers.authorization), isRefused)
    if ('identity' in check) return check.identity
    reply.header('www-authenticate', 'Bearer')
    throw new ServiceKeyRefusedError(REFUSALS[check.refusal])
  }

  fastify.decorate('requireServiceKey', (scope: ServiceKeyScope): onRequestAsyncHookHandler => async function (request, reply) {
    const identity = await identify(request, reply)
    // A known key asking beyond its scopes is a configuration mistake, not a guess: not counted.
    if (!identity.scopes.includes(scope)) throw new ForbiddenError(`The service key "${identity.name}" does not have the scope ${scope}`)
    request.serviceKey = identity
  })
}, { name: 'service-keys', dependencies: ['config', 'rate-limits'] })
