import fp from 'fastify-plugin'
import { BoundedPasswordHasher } from '../src/passwords/bounded-password-hasher.js'
import { defaultHashConcurrency } from '../src/passwords/hash-concurrency-limit.js'
import { prepareDummyHash } from '../src/passwords/password-hasher.js'

declare module 'fastify' {
  interface FastifyInstance {
    passwordHasher: BoundedPasswordHasher
  }
}

// Every argon2 hash and verification of a request (login, registration, password change) goes
// through this, at most PASSWORD_HASH_CONCURRENCY at once: by default one per core, as more
// would only share the same cores.
export default fp(async (fastify) => {
  const concurrency = fastify.config.PASSWORD_HASH_CONCURRENCY ?? defaultHashConcurrency()
  await prepareDummyHash()
  fastify.decorate('passwordHasher', new BoundedPasswordHasher(concurrency, fastify.authEvents))
}, { name: 'password-hasher', dependencies: ['config', 'events'] })
