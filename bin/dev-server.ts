import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

// The server as `npm run dev` runs it (bin/dev.ts starts it again after each change): the log
// for a person, and a message to the runner once it listens. With `--spare` it loads the
// server's dependencies and waits for the runner's `{ start: true }`; only then does it load the
// project's own modules, so it serves what was compiled by then (bin/watch-and-restart.ts).

const PACKAGE_JSON = join(import.meta.dirname, '..', '..', 'package.json')

// The runner starts this process in a process group of its own, so Ctrl-C reaches the runner
// only and the runner stops it first; if the runner dies, its channel closes: stop as on SIGTERM.
process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'))

async function loadDependencies (): Promise<void> {
  const { dependencies } = JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { dependencies: Record<string, string> }
  // A package that cannot be imported by its name alone is loaded by the server as usual.
  for (const name of Object.keys(dependencies)) await import(name).catch(() => undefined)
}

if (process.argv.includes('--spare')) {
  // Listening before loading: the runner may say start while the loading is still going on.
  const told = once(process, 'message')
  process.send?.({ waiting: true })
  await loadDependencies()
  await told
}
const { startServer } = await import('../server.js')
const { prettyServerOptions } = await import('./dev-log.js')
const address = await startServer((options) => prettyServerOptions(options, process.stdout))
process.send?.({ listening: address })
