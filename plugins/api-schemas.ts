import fp from 'fastify-plugin'
import { ErrorBodySchema } from '../src/api/error-schema.js'

// Registers the schemas routes refer to by $id: the error answer (see errorResponses).
export default fp(async (fastify) => {
  fastify.addSchema(ErrorBodySchema)
}, { name: 'api-schemas' })
