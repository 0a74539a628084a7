import type { FastifyPluginAsync } from 'fastify'

// The signed-in user's sessions, seen and ended from this service: the auth server's own.
const sessions: FastifyPluginAsync = async (app) => {
  app.addHook('preHandler', app.authenticate)

  app.get('/sessions', async (request) => {
    const { userId, sessionId } = request.user
    return { sessions: await app.sessions.list(userId, { currentSessionId: sessionId }) }
  })

  app.post('/logout', async (request) => {
    const { userId, sessionId } = request.user
    await app.sessions.end(userId, sessionId, { reason: 'logout' })
    return { result: 'success' }
  })

  app.post('/logout-everywhere', async (request) => {
    const revoked = await app.sessions.endAll(request.user.userId, { reason: 'logout_all' })
    return { result: 'success', revoked }
  })
}

export default sessions
