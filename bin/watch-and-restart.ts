import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createRequire } from 'node:module'
import { relative } from 'node:path'
import { createInterface } from 'node:readline'

// `npm run dev`'s loop: TypeScript's own watch mode recompiles what changed (incremental, no
// full rebuild), and once a compile ends without errors and has written JavaScript the server
// is stopped and started again on the new files. A compile with errors leaves the running
// server alone. Only the server restarts: the runner (and the redis-server it may own) stays.
// With `spareArgs`, a spare server process waits beside the running one, its dependencies
// already loaded, and becomes the next server: a restart then skips Node's start and most of
// the module loading. The spare loads the project's own (changed) modules only when told to start.

const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc')
// tsc's status line after each compile: "Found 0 errors. Watching for file changes."
const COMPILE_DONE = /Found (\d+) errors?\. Watching for file changes/
const COMPILE_STARTED = /(Starting compilation|File change detected)/
const EMITTED = /^TSFILE: (.*)$/
// The server finishes in-flight requests on SIGTERM (server.ts); one that hangs is killed.
const STOP_LIMIT_MS = 15_000
const MS_PER_SECOND = 1000

export interface WatchOptions {
  // Holds tsconfig.json; tsc and the server run here.
  projectDir: string
  // The compiled file the server starts from, and node's flags for it.
  entry: string
  nodeArgs: string[]
  env: NodeJS.ProcessEnv
  // Which written files restart the server (a test file does not).
  restartsFor: (emittedFile: string) => boolean
  say: (line: string) => void
  // Arguments after `entry` that make it a spare: it sends `{ waiting: true }` once it listens for
  // the runner's messages, and starts the server on `{ start: true }`.
  spareArgs?: string[]
  // Called after each compile without errors, with the time that compile started.
  onCleanCompile?: (startedAt: number) => void
}

export class WatchedServer {
  private tsc?: ChildProcess
  private server?: ChildProcess
  private spare?: ChildProcess
  // A message sent before the spare listens would be lost: only a waiting spare is told to start.
  private spareWaiting = false
  private stopping = false
  // Set once tsc's first compile has ended.
  private watching = false
  private waitingForFirstCompile = false
  private changed: string[] = []
  private changeSeenAt?: number
  private compileStartedAt = Date.now()
  // Restarts run one after another, never two servers at once.
  private restarting: Promise<void> = Promise.resolve()

  constructor (private readonly options: WatchOptions) {}

  // `compiled`: the compiled files are current, so the server starts at once; otherwise it
  // starts after tsc's first compile. Without `watch`, it only starts the server.
  start ({ compiled, watch }: { compiled: boolean, watch: boolean }): void {
    if (compiled) this.startServer()
    else this.waitingForFirstCompile = true
    if (watch) this.watchSources()
  }

  async stop (): Promise<void> {
    this.stopping = true
    this.tsc?.kill('SIGTERM')
    this.spare?.kill('SIGTERM')
    this.spare = undefined
    await this.restarting
    await this.stopServer()
  }

  private watchSources (): void {
    const tsc = spawn(process.execPath, [TSC, '-p', '.', '--watch', '--incremental', '--preserveWatchOutput', '--listEmittedFiles'], {
      cwd: this.options.projectDir,
      stdio: ['ignore', 'pipe', 'inherit']
    })
    this.tsc = tsc
    process.once('exit', () => tsc.kill('SIGTERM'))
    createInterface({ input: tsc.stdout }).on('line', (line) => this.onCompilerLine(line))
  }

  private onCompilerLine (line: string): void {
    const emitted = EMITTED.exec(line)?.[1]
    if (emitted !== undefined) {
      if (emitted.endsWith('.js') && this.options.restartsFor(emitted)) this.changed.push(emitted)
      return
    }
    if (COMPILE_STARTED.test(line)) {
      this.compileStartedAt = Date.now()
      this.changeSeenAt ??= this.compileStartedAt
      return
    }
    const done = COMPILE_DONE.exec(line)
    if (done === null) {
      // A type error, as tsc words it.
      if (line.trim() !== '') this.options.say(line)
      return
    }
    const errors = Number(done[1])
    if (!this.watching) {
      this.watching = true
      this.options.say('watching the sources: a change restarts the server')
    }
    if (errors > 0) {
      this.options.say(`${errors} TypeScript error(s): the server keeps running the last build that compiled`)
      return
    }
    this.options.onCleanCompile?.(this.compileStartedAt)
    if (this.waitingForFirstCompile) {
      this.waitingForFirstCompile = false
      this.changed = []
      this.changeSeenAt = undefined
      this.startServer()
      return
    }
    if (this.changed.length === 0) {
      this.changeSeenAt = undefined
      return
    }
    const files = this.changed.map((file) => relative(this.options.projectDir, file))
    this.changed = []
    const shown = files.length === 1 ? files[0] : `${files.length} files`
    this.options.say(`${shown} changed: restarting the server`)
    this.restarting = this.restarting.then(async () => {
      await this.stopServer()
      if (!this.stopping) this.startServer()
    })
  }

  private spawnServer (args: string[]): ChildProcess {
    return spawn(process.execPath, [...this.options.nodeArgs, this.options.entry, ...args], {
      cwd: this.options.projectDir,
      env: this.options.env,
      // Its own process group: Ctrl-C reaches the runner, which stops the server before Redis.
      detached: true,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc']
    })
  }

  private startSpare (): void {
    const { spareArgs } = this.options
    if (spareArgs === undefined || this.spare !== undefined || this.stopping) return
    const spare = this.spawnServer(spareArgs)
    this.spare = spare
    this.spareWaiting = false
    spare.on('message', (message: { waiting?: boolean }) => {
      if (message.waiting === true && this.spare === spare) this.spareWaiting = true
    })
    spare.once('exit', () => { if (this.spare === spare) this.spare = undefined })
  }

  private startServer (): void {
    const startedFrom = this.changeSeenAt
    this.changeSeenAt = undefined
    const spare = this.spareWaiting ? this.spare : undefined
    if (spare === undefined) this.spare?.kill('SIGTERM')
    this.spare = undefined
    const server = spare ?? this.spawnServer([])
    spare?.send({ start: true })
    this.server = server
    server.on('message', (message: { listening?: string }) => {
      if (typeof message.listening !== 'string') return
      const since = startedFrom === undefined ? '' : ` (${((Date.now() - startedFrom) / MS_PER_SECOND).toFixed(1)} s after the change)`
      this.options.say(`listening at ${message.listening}${since}`)
      // Made now, not before: loading it would slow the start it is meant to spare.
      this.startSpare()
    })
    server.once('exit', (code) => {
      // Not stopped by the runner: it failed to start or crashed.
      if (this.server !== server) return
      this.server = undefined
      this.options.say(`the server exited (code ${code}); it starts again after the next change`)
    })
  }

  private async stopServer (): Promise<void> {
    const server = this.server
    if (server === undefined) return
    this.server = undefined
    const exited = once(server, 'exit')
    server.kill('SIGTERM')
    const killer = setTimeout(() => server.kill('SIGKILL'), STOP_LIMIT_MS)
    await exited
    clearTimeout(killer)
  }
}
