import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis, type RedisOptions } from 'ioredis'
import { freePort } from './free-port.js'
import type { TestCertificates } from './tls-certificates.js'

const STARTUP_TIMEOUT_MS = 10_000
const POLL_INTERVAL_MS = 20
// Logical databases of the redis-server a test file shares: one per app built on it.
const SHARED_SERVER_DATABASES = 1024

// A private redis-server on a free port: tests can kill, restart and pause it without
// disturbing anyone else. With persistence on, a restarted server keeps its sessions, so
// a test can tell "recovered" from "lost everything".
const CLUSTER_NODE_TIMEOUT_MS = 2000
const START_ATTEMPTS = 3

export class RedisServer {
  private process?: ChildProcess
  readonly dir = mkdtempSync(join(tmpdir(), 'auth-redis-'))

  private constructor (
    readonly port: number, private readonly persistent: boolean, private readonly databases?: number, readonly clusterPort?: number,
    private readonly tls?: TestCertificates
  ) {}

  // `clusterNode`: a node of a Redis Cluster, holding no slot until it is given some (see
  // redis-cluster.ts). `tls`: TLS only (no plain port), clients must present a certificate of
  // the same CA, and a cluster node speaks TLS on the bus and to its master too. A free port can
  // be taken by another socket before redis-server binds it (or, for a cluster node, its bus
  // port): then it is tried again on other ports.
  static async start (options: { persistent?: boolean, databases?: number, clusterNode?: boolean, tls?: TestCertificates } = {}): Promise<RedisServer> {
    for (let attempt = 1; ; attempt++) {
      // The cluster bus on a port of its own: by default it is the port + 10000, which may be taken or past 65535.
      const clusterPort = options.clusterNode === true ? await freePort() : undefined
      const server = new RedisServer(await freePort(), options.persistent ?? false, options.databases, clusterPort, options.tls)
      try {
        await server.restart()
        return server
      } catch (error) {
        await server.destroy()
        if (attempt === START_ATTEMPTS) throw error
      }
    }
  }

  get url (): string {
    return `${this.tls === undefined ? 'redis' : 'rediss'}://127.0.0.1:${this.port}`
  }

  // What a test's own connection needs besides the address: the TLS options of a trusted client.
  get connectionOptions (): RedisOptions {
    return this.tls === undefined ? {} : { tls: this.tls.clientTls() }
  }

  async restart (): Promise<void> {
    const persistence = this.persistent
      ? ['--appendonly', 'yes', '--appendfsync', 'always']
      : ['--appendonly', 'no']
    const databases = this.databases === undefined ? [] : ['--databases', String(this.databases)]
    // A short node timeout, so that a killed master's replica takes over within seconds, and a
    // replica that syncs at once (not after the default 5 s wait for other replicas).
    const cluster = this.clusterPort !== undefined
      ? [
          '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-port', String(this.clusterPort),
          '--cluster-node-timeout', String(CLUSTER_NODE_TIMEOUT_MS), '--cluster-replica-validity-factor', '0', '--repl-diskless-sync-delay', '0'
        ]
      : []
    const tls = this.tls === undefined
      ? ['--port', String(this.port)]
      : [
          '--port', '0', '--tls-port', String(this.port), '--tls-cert-file', this.tls.serverCert, '--tls-key-file', this.tls.serverKey,
          '--tls-ca-cert-file', this.tls.ca, '--tls-auth-clients', 'yes',
          ...(this.clusterPort === undefined ? [] : ['--tls-cluster', 'yes', '--tls-replication', 'yes'])
        ]
    this.process = spawn('redis-server', [
      ...tls, '--bind', '127.0.0.1', '--save', '', '--dir', this.dir, ...persistence, ...databases, ...cluster
    ], { stdio: 'ignore' })
    await this.waitUntilReady()
  }

  kill (): void {
    this.process?.kill('SIGKILL')
  }

  async stop (): Promise<void> {
    const child = this.process
    // A process ended by a signal has signalCode set and exitCode null.
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGKILL')
    await exited
  }

  // SIGSTOP leaves the socket open but unanswered: the "Redis hangs" fault.
  pause (): void {
    this.process?.kill('SIGSTOP')
  }

  resume (): void {
    this.process?.kill('SIGCONT')
  }

  async destroy (): Promise<void> {
    this.resume()
    await this.stop()
    rmSync(this.dir, { recursive: true, force: true })
  }

  // Lets the test process end while the server runs; it must then be ended by destroyNow on exit.
  unref (): void {
    this.process?.unref()
  }

  // For a process that is exiting: no await is possible there.
  destroyNow (): void {
    this.process?.kill('SIGKILL')
    rmSync(this.dir, { recursive: true, force: true })
  }

  // Connected clients other than the one asking.
  async clientCount (): Promise<number> {
    const probe = new Redis(this.port, '127.0.0.1', { ...this.connectionOptions, maxRetriesPerRequest: 0 })
    try {
      const list = await probe.client('LIST') as string
      return list.trim().split('\n').length - 1
    } finally {
      probe.disconnect()
    }
  }

  // Whether the server answers, not whom: a test may start one whose certificate names another
  // host on purpose.
  private get readinessProbeOptions (): RedisOptions {
    return this.tls === undefined ? {} : { tls: { ...this.tls.clientTls(), checkServerIdentity: () => undefined } }
  }

  private async waitUntilReady (): Promise<void> {
    const deadline = Date.now() + STARTUP_TIMEOUT_MS
    while (Date.now() < deadline) {
      // A server that could not bind its port has exited: no need to wait out the deadline.
      if (typeof this.process?.exitCode === 'number') break
      const probe = new Redis(this.port, '127.0.0.1', { ...this.readinessProbeOptions, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
      probe.on('error', () => undefined)
      try {
        await probe.connect()
        await probe.ping()
        return
      } catch {
        await sleep(POLL_INTERVAL_MS)
      } finally {
        probe.disconnect()
      }
    }
    throw new Error(`redis-server on port ${this.port} did not start`)
  }
}

let shared: Promise<RedisServer> | undefined
let nextSharedDatabase = 0

// A Redis URL for one app: a logical database of its own on the redis-server this test file
// shares, started on first use and ended with the process. Each database holds only that app's
// keys, so tests read them unprefixed, and starting a server per app is saved. A test that
// kills, pauses or restarts Redis starts a RedisServer of its own instead.
export async function sharedRedisDatabaseUrl (): Promise<string> {
  shared ??= RedisServer.start({ databases: SHARED_SERVER_DATABASES }).then((server) => {
    server.unref()
    process.once('exit', () => server.destroyNow())
    return server
  })
  const server = await shared
  const database = nextSharedDatabase++
  if (database >= SHARED_SERVER_DATABASES) throw new Error(`more than ${SHARED_SERVER_DATABASES} apps in one test file`)
  return `${server.url}/${database}`
}
