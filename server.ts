import closeWithGrace from 'close-with-grace'
import { realpathSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import Fastify, { type FastifyServerOptions } from 'fastify'
import app, { buildServerOptions } from './app.js'
import { ConfigError, loadConfig } from './src/config/load-config.js'

// In-flight requests get this long to finish after SIGTERM before the process exits anyway.
const SHUTDOWN_GRACE_MS = 10_000

// `developmentLog`: how `npm run dev` changes the log for a person (bin/dev-log.ts).
// Returns the address it listens on.
export async function startServer (developmentLog?: (options: FastifyServerOptions) => FastifyServerOptions): Promise<string> {
  let config
  try {
    config = loadConfig()
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    console.error(error.message)
    process.exit(1)
  }
  const options = buildServerOptions(config)
  const server = Fastify(developmentLog === undefined ? options : developmentLog(options))
  await server.register(app, { config })

  closeWithGrace({ delay: SHUTDOWN_GRACE_MS }, async ({ signal, err }) => {
    if (err !== undefined) server.log.error({ err }, 'shutting down after an unexpected error')
    else server.log.info({ signal }, 'shutting down: finishing in-flight requests')
    // Stops accepting connections, waits for in-flight requests, then closes Redis and the database.
    await server.close()
  })

  return await server.listen({ port: config.PORT, host: config.HOST })
}

// Run directly (npm start), not imported (bin/dev.ts). Resolved so symlinks and spaces compare equal.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  await startServer()
}
