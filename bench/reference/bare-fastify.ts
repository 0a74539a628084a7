import Fastify from 'fastify'
import { HOST, meResponseSchema, newSessionId, readReferenceEnv, type BenchUser } from './reference-env.js'

// The limit for this stack: a Fastify 5 route answering the JSON of our /auth/me, with the
// same response schema, and no authentication at all.
const env = readReferenceEnv()
const user: BenchUser = { userId: 1, userType: 'user', account: 'bench-user-1@example.com', sessionId: newSessionId() }

const app = Fastify()
app.get('/health', async () => ({ status: 'ok' }))
app.get('/auth/me', { schema: { response: { 200: meResponseSchema } } }, async () => user)

await app.listen({ port: env.port, host: HOST })
