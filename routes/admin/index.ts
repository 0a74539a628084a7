import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { BanBodySchema, BanLiftedSchema, banUntilOf, UserBanSchema } from '../../src/api/ban-schemas.js'
import { errorResponses } from '../../src/api/error-schema.js'
import { AccountSchema, DeviceIdSchema, IntegerIdParamSchema, PageSizeQuerySchema, UserIdParamSchema, UserIdSchema } from '../../src/api/field-schemas.js'
import { RevokedCountSchema, SessionListSchema } from '../../src/api/session-schemas.js'
import { UserListSchema } from '../../src/api/user-list-schemas.js'
import { InvalidInputError, NotFoundError } from '../../src/errors/api-errors.js'
import { userIdOfKey, type UserId } from '../../src/users/user-id.js'
import { sessionSecurity } from '../../plugins/docs.js'

// The user is named by exactly one of userId or account (checked in the handler).
const RevokeBodySchema = Type.Object({
  userId: Type.Optional(UserIdSchema),
  account: Type.Optional(AccountSchema),
  deviceId: Type.Optional(DeviceIdSchema)
})

const UserParamsSchema = Type.Object({ userId: UserIdParamSchema })

const USERS_PER_PAGE = 50
// Digits, as every query value (the server does not coerce types).
const UserListQuerySchema = Type.Object({
  limit: Type.Optional(PageSizeQuerySchema),
  after: Type.Optional(IntegerIdParamSchema)
})

const admin: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.addHook('preHandler', fastify.authenticate)
  fastify.addHook('preHandler', fastify.requireAdmin)
  // Acting on other users' sessions needs a recent sign-in, not only a live session: a stolen
  // or forgotten admin session alone is not enough (403 "1005", then POST /auth/reauthenticate).
  fastify.addHook('preHandler', fastify.requireRecentAuth(fastify.config.ADMIN_REAUTH_MAX_AGE))

  // This server's own users (the users table), each with its ban as GET /admin/users/:userId/ban
  // shows it: who is banned, without asking user by user. Keyset pagination by id.
  fastify.get('/users', {
    schema: {
      summary: `This server's users with an id above after, by id, limit (default ${USERS_PER_PAGE}) at a time, each with its ban; next: the after of the next page, null on the last`,
      tags: ['admin'],
      security: sessionSecurity,
      querystring: UserListQuerySchema,
      response: { 200: UserListSchema, ...errorResponses(400, 401, 403, 503) }
    }
  }, async (request) => {
    const { limit, after } = request.query
    const page = await fastify.users.listPage(after === undefined ? 0 : Number(after), limit === undefined ? USERS_PER_PAGE : Number(limit))
    const bans = await fastify.sessions.findBans(page.users.map((user) => user.id))
    return {
      users: page.users.map(({ id, account, userType, createdAt }, i) => ({ userId: id, account, userType, createdAt, ban: bans[i] ?? { banned: false } })),
      next: page.next
    }
  })

  fastify.get('/users/:userId/sessions', {
    schema: {
      summary: "A user's sessions",
      tags: ['admin'],
      security: sessionSecurity,
      params: UserParamsSchema,
      response: { 200: SessionListSchema, ...errorResponses(400, 401, 403, 503) }
    }
  }, async (request) => {
    // A path parameter is a string: digits are read as the number they name (the same user).
    return { sessions: await fastify.sessions.list(userIdOfKey(request.params.userId)) }
  })

  fastify.post('/revoke', {
    schema: {
      summary: "End all of a user's sessions, or those of one device; the user is named by userId or account",
      tags: ['admin'],
      security: sessionSecurity,
      body: RevokeBodySchema,
      response: { 200: RevokedCountSchema, ...errorResponses(400, 401, 403, 404, 503) }
    }
  }, async (request) => {
    const { userId, account, deviceId } = request.body
    if ((userId === undefined) === (account === undefined)) {
      throw new InvalidInputError('body must name the user by exactly one of userId or account')
    }
    const targetId: UserId | undefined = userId ?? (await fastify.users.findByAccount(account ?? ''))?.id
    if (targetId === undefined) throw new NotFoundError('No such account')
    const revoked = await fastify.sessions.endAll(targetId, { reason: 'admin', deviceId, ip: request.ip, actor: `admin:${request.user.userId}` })
    request.log.info({ targetUserId: targetId, deviceId, revoked, adminUserId: request.user.userId }, 'admin revoked sessions')
    return { result: 'success' as const, revoked }
  })

  // Any user id of the two kinds: an app with its own users bans them here too.
  fastify.post('/users/:userId/ban', {
    schema: {
      summary: 'Ban a user: every session ends now (reason banned), and logins and refreshes answer 1011 until the ban lifts; revoked: how many ended',
      tags: ['admin'],
      security: sessionSecurity,
      params: UserParamsSchema,
      body: BanBodySchema,
      response: { 200: RevokedCountSchema, ...errorResponses(400, 401, 403, 503) }
    }
  }, async (request) => {
    const userId = userIdOfKey(request.params.userId)
    const { reason } = request.body
    const until = banUntilOf(request.body.until, fastify.sessionCheck.clock())
    const revoked = await fastify.sessions.ban(userId, { reason, until, ip: request.ip, actor: `admin:${request.user.userId}` })
    request.log.info({ targetUserId: userId, until, revoked, adminUserId: request.user.userId }, 'admin banned a user')
    return { result: 'success' as const, revoked }
  })

  fastify.delete('/users/:userId/ban', {
    schema: {
      summary: "Lift a user's ban; the sessions it ended stay ended. lifted: false when there was none",
      tags: ['admin'],
      security: sessionSecurity,
      params: UserParamsSchema,
      response: { 200: BanLiftedSchema, ...errorResponses(400, 401, 403, 503) }
    }
  }, async (request) => {
    const userId = userIdOfKey(request.params.userId)
    const lifted = await fastify.sessions.unban(userId, { ip: request.ip, actor: `admin:${request.user.userId}` })
    return { result: 'success' as const, lifted }
  })

  fastify.get('/users/:userId/ban', {
    schema: {
      summary: 'Whether a user is banned now, why, until when and by whom',
      tags: ['admin'],
      security: sessionSecurity,
      params: UserParamsSchema,
      response: { 200: UserBanSchema, ...errorResponses(400, 401, 403, 503) }
    }
  }, async (request) => await fastify.sessions.findBan(userIdOfKey(request.params.userId)))
}

export default admin
