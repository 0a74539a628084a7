import { Type } from '@fastify/type-provider-typebox'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { errorResponses } from '../../src/api/error-schema.js'
import { sessionSecurity } from '../../plugins/docs.js'
import { IDENTITY_HEADERS } from '../../session-check/identity-headers.js'
import { InvalidInputError } from '../../src/errors/api-errors.js'

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

// What a gateway may ask beyond "is the session live": not to keep it alive (a poll), and a
// sign-in at most so many seconds old (a sensitive route). The answer says when that sign-in was.
const SESSION_SLIDE_HEADER = 'x-session-slide'
const REQUIRE_AUTH_WITHIN_HEADER = 'x-require-auth-within'
const AUTH_AT_HEADER = 'x-auth-at'
const SECONDS_PATTERN = /^[1-9][0-9]{0,8}$/

// A header the gateway sets may arrive beside the client's own copy (Node joins them with
// commas): each value must be valid, and the strictest wins, so a client can only make its own
// request stricter, never looser.
function headerValues (request: FastifyRequest, name: string): string[] {
  const value = request.headers[name]
  if (value === undefined) return []
  return (Array.isArray(value) ? value : [value]).flatMap((item) => item.split(',')).map((item) => item.trim())
}

function slides (request: FastifyRequest): boolean {
  const values = headerValues(request, SESSION_SLIDE_HEADER).map((value) => value.toLowerCase())
  if (values.some((value) => value !== 'on' && value !== 'off')) throw new InvalidInputError('X-Session-Slide must be "on" or "off"')
  return !values.includes('off')
}

function requiredAuthWithin (request: FastifyRequest): number | undefined {
  const values = headerValues(request, REQUIRE_AUTH_WITHIN_HEADER)
  if (values.length === 0) return undefined
  if (!values.every((value) => SECONDS_PATTERN.test(value))) {
    throw new InvalidInputError('X-Require-Auth-Within must be a whole number of seconds, from 1 to 999999999')
  }
  return Math.min(...values.map(Number))
}

// nginx, Traefik and Caddy let any 2xx through; Envoy's ext_authz HTTP service only a 200 (any
// other status, 204 included, is a denial handed to the client).
const LIVE_STATUS = 204
const ENVOY_LIVE_STATUS = 200

function verifySchema (liveStatus: number): object {
  return {
    summary: `Forward auth: ${liveStatus} with the identity headers when the request's session is live`,
    description: 'For gateways. Reads the token like every route; a reissued token comes back in x-renewed-token (cookie clients: Set-Cookie). Identity in x-user-id, x-user-type, x-session-id, and x-auth-at (ms since epoch: the last sign-in). A request carrying one of the identity headers spelled with underscores (x_user_id, ...) is refused with 400 "1400". ' +
      'x-session-slide: off checks the session without keeping it alive; x-require-auth-within: <seconds> answers 403 "1005" (with maxAge) when the last sign-in is older.',
    tags: ['auth'],
    security: sessionSecurity,
    response: { [liveStatus]: Type.Null({ description: 'The session is live' }), ...errorResponses(400, 401, 403, 503) }
  }
}

// Forward auth: a gateway (nginx, Traefik, Envoy, Caddy) asks about each request it passes to a
// service in any language, and hands the identity on in the identity headers.
const verify: FastifyPluginAsync = async (fastify) => {
  async function answer (request: FastifyRequest, reply: FastifyReply, method: string, liveStatus: number): Promise<FastifyReply> {
    const slide = slides(request)
    const maxAgeSeconds = requiredAuthWithin(request)
    const user = await fastify.sessionCheck.check(request, reply, method, { slide })
    if (maxAgeSeconds !== undefined) fastify.sessionCheck.assertRecentAuth(user, maxAgeSeconds)
    return await reply.code(liveStatus).headers({
      [IDENTITY_HEADERS.userId]: String(user.userId),
      [IDENTITY_HEADERS.userType]: user.userType,
      [IDENTITY_HEADERS.sessionId]: user.sessionId,
      [AUTH_AT_HEADER]: String(user.authAt)
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
