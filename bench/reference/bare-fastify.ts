import Fastify from 'fastify'
import { fixedResponseHeaders } from '../../src/security/response-headers.js'
import { HOST, meResponseSchema, newSessionId, readReferenceEnv, type BenchUser } from './reference-env.js'

// The limit for this stack: a Fastify 5 route answering the JSON of our /auth/me, with the
// same response schema, and no authentication at all. Under /with-headers, the same routes
// also send our fixed response headers (as our production server does, Secure), set once per
// request in an onRequest hook: what any server with those headers pays, before our plugins.
const env = readReferenceEnv()
const user: BenchUser = { userId: 1, userType: 'user', account: 'bench-user-1@example.com', sessionId: newSessionId() }
const healthSchema = { response: { 200: { type: 'object', required: ['status'], properties: { status: { type: 'string' } } } } }

const app = Fastify()
app.get('/health', { schema: healthSchema }, async () => ({ status: 'ok' }))
app.get('/auth/me', { schema: { response: { 200: meResponseSchema } } }, async () => user)
await app.register(async (withHeaders) => {
  const headers = fixedResponseHeaders(true)
  withHeaders.addHook('onRequest', (_request, reply, done) => {
    reply.headers(headers)
    done()
  })
  withHeaders.get('/health', { schema: healthSchema }, async () => ({ status: 'ok' }))
}, { prefix: '/with-headers' })

await app.listen({ port: env.port, host: HOST })
