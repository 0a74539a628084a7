import { startServer } from '../server.js'
import { prettyServerOptions } from './dev-log.js'

// The server as `npm run dev` runs it (bin/dev.ts starts this file again after each change):
// the log for a person, and a message to the runner once it listens.

// The runner starts this process in a process group of its own, so Ctrl-C reaches the runner
// only and the runner stops it first; if the runner dies, its channel closes: stop as on SIGTERM.
process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'))

const address = await startServer((options) => prettyServerOptions(options, process.stdout))
process.send?.({ listening: address })
