import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { errorResponses } from '../src/api/error-schema.js'

const StatusSchema = Type.Object({ status: Type.String() })

const health: FastifyPluginAsyncTypebox = async (fastify) => {
  // Liveness: the process answers. Never depends on Redis or the database, so an outage
  // does not get healthy instances restarted.
  fastify.get('/health', {
    schema: { summary: 'Liveness', tags: ['health'], response: { 200: StatusSchema } }
  }, async () => ({ status: 'ok' }))

  // Readiness: this instance can serve logins and sessions right now.
  fastify.get('/ready', {
    schema: { summary: 'Readiness: Redis and the database answer', tags: ['health'], response: { 200: StatusSchema, ...errorResponses(503) } }
  }, async () => {
    await Promise.all([fastify.sessionCheck.store.ping(), fastify.db.query('SELECT 1')])
    return { status: 'ready' }
  })
}

export default health
