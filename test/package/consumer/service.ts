// Another Fastify service of the same app, checking sessions itself with the auth server's plugin.
// Copied into a fresh project that installed the packed tarballs (test/package/).
import Fastify from 'fastify'
import sessionCheck from '@token-session-auth/fastify'

const app = Fastify()
// The same settings as the auth server, by the same names: here REDIS_URL, JWT_SECRET and
// REDIS_KEY_PREFIX come from the environment, and two are given as options.
await app.register(sessionCheck, { redisUrl: process.env.REDIS_URL, jwtSecret: process.env.JWT_SECRET })

app.get('/orders', { preHandler: app.authenticate }, async (request) => {
  const { userId, userType, sessionId } = request.user
  return { orders: [], userId, userType, sessionId }
})

await app.listen({ port: 0, host: '127.0.0.1' })
const address = app.server.address()
console.log(JSON.stringify({ port: typeof address === 'object' && address !== null ? address.port : 0 }))
process.once('SIGTERM', () => { void app.close().then(() => process.exit(0)) })
