import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { UserType } from '../src/tokens/session-claims.js'
import type { User } from '../src/users/user-repository.js'

export interface IssuedSession {
  result: 'success'
  token: string
  userId: number
  userType: UserType
  sessionId: string
}

declare module 'fastify' {
  interface FastifyInstance {
    // Undefined when the user's sessions were all ended since `generation` was read.
    issueSession: (
      request: FastifyRequest, reply: FastifyReply, user: User, generation: string, deviceId?: string
    ) => Promise<IssuedSession | undefined>
  }
}

// Starts a session for a user whose password was just checked: the Redis record, the token,
// the cookies for web clients. Used by login and by password change.
export default fp(async (fastify) => {
  fastify.decorate('issueSession', async (
    request: FastifyRequest, reply: FastifyReply, user: User, generation: string, deviceId?: string
  ) => {
    const claims = await fastify.sessions.start({
      userId: user.id,
      userType: user.userType,
      account: user.account,
      deviceId,
      userAgent: request.headers['user-agent'],
      ip: request.ip
    }, generation)
    if (claims === undefined) return undefined
    const token = fastify.jwt.sign(claims)
    reply.setSessionCookies(token, user.account)
    const issued: IssuedSession = {
      result: 'success',
      token,
      userId: user.id,
      userType: user.userType,
      sessionId: claims.sid
    }
    return issued
  })
}, { name: 'session-issuer', dependencies: ['sessions', 'jwt', 'cookies'] })
