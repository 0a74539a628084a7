import { buildService } from './app.ts'
import { serviceSettings } from './settings.ts'

// `npm start`: the service on HOST:PORT until SIGTERM or Ctrl-C. An app with an SMS provider
// passes its CodeSender here: buildService(settings, { codeSender }).
const settings = serviceSettings(process.env)
const app = await buildService(settings)
await app.listen({ host: settings.host, port: settings.port })

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => { void app.close().then(() => process.exit(0)) })
}
