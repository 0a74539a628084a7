import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { AUTH_METHOD_PATTERN } from '../../session-check/session-start-input.js'
import { BanBodySchema, BanLiftedSchema, banUntilOf } from '../../src/api/ban-schemas.js'
import { errorResponses } from '../../src/api/error-schema.js'
import { AmrSchema, DeviceIdSchema, DeviceTypeSchema, NO_CONTROL_CHARACTERS_PATTERN, RememberMeSchema, UserIdParamSchema, UserIdSchema, UserTypeSchema } from '../../src/api/field-schemas.js'
import { IssuedSessionSchema, RevokedCountSchema, SessionListSchema } from '../../src/api/session-schemas.js'
import { StringEnum } from '../../src/api/schema-types.js'
import { SESSION_ID_JSON_PATTERN } from '../../src/tokens/session-claims.js'
import { userIdOfKey } from '../../src/users/user-id.js'
import { serviceKeySecurity } from '../../plugins/docs.js'
import { serviceActorOf } from '../../plugins/service-keys.js'

// Sessions over HTTP, for backends not written in Node (docs/api.md, "Service keys"): the
// plugin's app.sessions behind a service key. Registered only when SERVICE_KEYS lists keys;
// without, every /service/ URL is 404, as any unknown route.

// A User-Agent header is a few hundred characters; the session keeps a 64-byte label of it.
const USER_AGENT_MAX_LENGTH = 512
// What a backend may end a user's sessions for, and so what they answer 1002 with afterwards.
const END_ALL_REASONS = ['revoked', 'password_changed', 'logout_all'] as const

const StartSessionBodySchema = Type.Object({
  userId: UserIdSchema,
  userType: Type.Optional(UserTypeSchema),
  deviceId: Type.Optional(DeviceIdSchema),
  deviceType: Type.Optional(DeviceTypeSchema),
  // No cookies here: only the idle timeout SESSION_TTL_NOT_REMEMBERED follows from false.
  rememberMe: Type.Optional(RememberMeSchema),
  authMethod: Type.Optional(Type.String({ pattern: AUTH_METHOD_PATTERN.source, description: 'How the user signed in: password, phone_code, apple, ...' })),
  amr: Type.Optional(AmrSchema),
  // The end user's, not the backend's: what the session list shows.
  ip: Type.Optional(Type.String({ anyOf: [{ format: 'ipv4' }, { format: 'ipv6' }], description: "The end user's IP address" })),
  userAgent: Type.Optional(Type.String({
    minLength: 1,
    maxLength: USER_AGENT_MAX_LENGTH,
    pattern: NO_CONTROL_CHARACTERS_PATTERN,
    description: "The end user's User-Agent header; the session list shows a label made from it"
  }))
})

// A path names a user by its key: 42 and "42" are one user (src/users/user-id.ts).
const UserParamsSchema = Type.Object({ userId: UserIdParamSchema })
const SessionParamsSchema = Type.Object({ userId: UserIdParamSchema, sessionId: Type.String({ pattern: SESSION_ID_JSON_PATTERN }) })
const EndAllQuerySchema = Type.Object({ reason: Type.Optional(StringEnum(END_ALL_REASONS)) })

const service: FastifyPluginAsyncTypebox = async (fastify) => {
  if (fastify.config.serviceKeys.length === 0) return

  fastify.post('/sessions', {
    onRequest: fastify.requireServiceKey('sessions:start'),
    schema: {
      summary: 'Start a session for a user the backend signed in its own way (scope sessions:start); no cookies',
      tags: ['service'],
      security: serviceKeySecurity,
      body: StartSessionBodySchema,
      response: { 201: IssuedSessionSchema, ...errorResponses(400, 401, 403, 409, 429, 503) }
    }
  }, async (request, reply) => {
    // No request and no reply in the context: the backend's own IP, User-Agent and cookies are
    // not the end user's.
    const issued = await fastify.sessions.start(request.body, { actor: serviceActorOf(request) })
    return await reply.code(201).send(issued)
  })

  fastify.get('/users/:userId/sessions', {
    onRequest: fastify.requireServiceKey('sessions:read'),
    schema: {
      summary: "A user's sessions, as GET /auth/sessions shows them (scope sessions:read)",
      tags: ['service'],
      security: serviceKeySecurity,
      params: UserParamsSchema,
      response: { 200: SessionListSchema, ...errorResponses(400, 401, 403, 429, 503) }
    }
  }, async (request) => ({ sessions: await fastify.sessions.list(userIdOfKey(request.params.userId)) }))

  fastify.delete('/users/:userId/sessions/:sessionId', {
    onRequest: fastify.requireServiceKey('sessions:end'),
    schema: {
      summary: "End one of a user's sessions, reason revoked (scope sessions:end); revoked: 0 when it had ended or is unknown",
      tags: ['service'],
      security: serviceKeySecurity,
      params: SessionParamsSchema,
      response: { 200: RevokedCountSchema, ...errorResponses(400, 401, 403, 429, 503) }
    }
  }, async (request) => {
    const { userId, sessionId } = request.params
    const ended = await fastify.sessions.end(userIdOfKey(userId), sessionId, { reason: 'revoked', ip: request.ip, actor: serviceActorOf(request) })
    return { result: 'success' as const, revoked: ended ? 1 : 0 }
  })

  fastify.delete('/users/:userId/sessions', {
    onRequest: fastify.requireServiceKey('sessions:end'),
    schema: {
      summary: 'End every session of a user, their refresh tokens too (scope sessions:end); reason revoked unless given',
      tags: ['service'],
      security: serviceKeySecurity,
      params: UserParamsSchema,
      querystring: EndAllQuerySchema,
      response: { 200: RevokedCountSchema, ...errorResponses(400, 401, 403, 429, 503) }
    }
  }, async (request) => {
    const { reason = 'revoked' } = request.query
    const revoked = await fastify.sessions.endAll(userIdOfKey(request.params.userId), { reason, ip: request.ip, actor: serviceActorOf(request) })
    return { result: 'success' as const, revoked }
  })

  fastify.put('/users/:userId/ban', {
    onRequest: fastify.requireServiceKey('users:ban'),
    schema: {
      summary: 'Ban a user (scope users:ban): every session ends now (reason banned), and starts and refreshes answer 1011 until the ban lifts; replaces an earlier ban',
      tags: ['service'],
      security: serviceKeySecurity,
      params: UserParamsSchema,
      body: BanBodySchema,
      response: { 200: RevokedCountSchema, ...errorResponses(400, 401, 403, 429, 503) }
    }
  }, async (request) => {
    const until = banUntilOf(request.body.until, fastify.sessionCheck.clock())
    const { reason } = request.body
    const revoked = await fastify.sessions.ban(userIdOfKey(request.params.userId), { reason, until, ip: request.ip, actor: serviceActorOf(request) })
    return { result: 'success' as const, revoked }
  })

  fastify.delete('/users/:userId/ban', {
    onRequest: fastify.requireServiceKey('users:ban'),
    schema: {
      summary: "Lift a user's ban (scope users:ban); lifted: false when there was none",
      tags: ['service'],
      security: serviceKeySecurity,
      params: UserParamsSchema,
      response: { 200: BanLiftedSchema, ...errorResponses(400, 401, 403, 429, 503) }
    }
  }, async (request) => {
    const lifted = await fastify.sessions.unban(userIdOfKey(request.params.userId), { ip: request.ip, actor: serviceActorOf(request) })
    return { result: 'success' as const, lifted }
  })
}

export default service
