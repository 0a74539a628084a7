import type { FastifyPluginAsync } from 'fastify'
import { errorResponses } from '../plugins/api-schemas.js'

const statusSchema = { type: 'object', required: ['status'], properties: { status: { type: 'string' } } } as const

const health: FastifyPluginAsync = async (fastify) => {
  // Liveness: the process answers. Never depends on Redis or the database, so an outage
  // does not get healthy instances restarted.
  fastify.get('/health', {
    schema: { summary: 'Liveness', tags: ['health'], response: { 200: statusSchema } }
  }, async () => ({ status: 'ok' }))

  // Readiness: this instance can serve logins and sessions right now.
  fastify.get('/ready', {
    schema: { summary: 'Readiness: Redis and the database answer', tags: ['health'], response: { 200: statusSchema, ...errorResponses(503) } }
  }, async () => {
    await Promise.all([fastify.sessions.ping(), fastify.db.query('SELECT 1')])
    return { status: 'ready' }
  })
}

export default health
