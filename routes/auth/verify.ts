import { Type } from '@fastify/type-provider-typebox'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { errorResponses } from '../../src/api/error-schema.js'
import { sessionSecurity } from '../../plugins/docs.js'
import { IDENTITY_HEADERS } from '../../session-check/identity-headers.js'

// Where gateways put the original request's method: Traefik and Caddy send X-Forwarded-Method,
// the documented nginx configuration X-Original-Method.
const ORIGINAL_METHOD_HEADERS = ['x-forwarded-method', 'x-original-method'] as const
const METHOD_PATTERN = /^[A-Za-z]{1,16}$/
// A cookie-authenticated request whose original method is unknown must prove it comes from our
// pages, as an unsafe one would: a gateway that does not say the method cannot open a CSRF hole.
const UNKNOWN_METHOD = 'UNKNOWN'

// A gateway sets one of the headers; the other may come from the client, passed through. So the
// method counts only when every header sent names the same one: a client's `X-Forwarded-Method:
// GET` beside the gateway's `X-Original-Method: POST` makes it unknown, never safe.
function originalMethod (request: FastifyRequest, fallback: string): string {
  const said = new Set<string>()
  for (const name of ORIGINAL_METHOD_HEADERS) {
    const value = request.headers[name]
    if (value === undefined) continue
    if (typeof value !== 'string' || !METHOD_PATTERN.test(value)) return UNKNOWN_METHOD
    said.add(value.toUpperCase())
  }
  if (said.size === 0) return fallback
  return said.size === 1 ? [...said][0] ?? UNKNOWN_METHOD : UNKNOWN_METHOD
}

// nginx, Traefik and Caddy let any 2xx through; Envoy's ext_authz HTTP service only a 200 (any
// other status, 204 included, is a denial handed to the client).
const LIVE_STATUS = 204
const ENVOY_LIVE_STATUS = 200

function verifySchema (liveStatus: number): object {
  return {
    summary: `Forward auth: ${liveStatus} with the identity headers when the request's session is live`,
    description: 'For gateways. Reads the token like every route; a reissued token comes back in x-renewed-token (cookie clients: Set-Cookie). Identity in x-user-id, x-user-type, x-session-id. A request carrying one of these spelled with underscores (x_user_id, ...) is refused with 400 "1400".',
    tags: ['auth'],
    security: sessionSecurity,
    response: { [liveStatus]: Type.Null({ description: 'The session is live' }), ...errorResponses(400, 401, 403, 503) }
  }
}

// Forward auth: a gateway (nginx, Traefik, Envoy, Caddy) asks about each request it passes to a
// service in any language, and hands the identity on in the identity headers.
const verify: FastifyPluginAsync = async (fastify) => {
  async function answer (request: FastifyRequest, reply: FastifyReply, method: string, liveStatus: number): Promise<FastifyReply> {
    const user = await fastify.sessionCheck.check(request, reply, method)
    return await reply.code(liveStatus).headers({
      [IDENTITY_HEADERS.userId]: String(user.userId),
      [IDENTITY_HEADERS.userType]: user.userType,
      [IDENTITY_HEADERS.sessionId]: user.sessionId
    }).send()
  }

  // nginx, Traefik and Caddy call this path with GET and say the original method in a header.
  fastify.get('/verify', { schema: verifySchema(LIVE_STATUS) }, async (request, reply) =>
    await answer(request, reply, originalMethod(request, UNKNOWN_METHOD), LIVE_STATUS))

  // Envoy's ext_authz calls `<path_prefix><original path>` with the original method.
  fastify.all('/verify/*', { schema: { ...verifySchema(ENVOY_LIVE_STATUS), hide: true } }, async (request, reply) =>
    await answer(request, reply, originalMethod(request, request.method), ENVOY_LIVE_STATUS))
}

export default verify
