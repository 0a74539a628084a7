import fp from 'fastify-plugin'
import { loadConfig, type AppConfig } from '../src/config/load-config.js'

declare module 'fastify' {
  interface FastifyInstance {
    config: AppConfig
  }
}

export interface ConfigPluginOptions {
  // Given by the entry point (which needed it first to build the logger) or by tests.
  config?: AppConfig
}

// The only place that turns the environment into settings; every other plugin reads `fastify.config`.
export default fp<ConfigPluginOptions>(async (fastify, options) => {
  const config = options.config ?? loadConfig()
  if (config.generatedSecretPath !== undefined) {
    fastify.log.warn({ path: config.generatedSecretPath },
      'JWT_SECRET is not set: using a generated development secret. Set JWT_SECRET in production.')
  }
  fastify.decorate('config', config)
}, { name: 'config' })
