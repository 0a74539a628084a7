import { spawn } from 'node:child_process'
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { TestContext } from '../helpers/build-app.js'
import { freePort } from '../helpers/free-port.js'
import { nginxConf, type NginxAddresses } from './nginx-conf.js'

// Debian puts nginx in /usr/sbin, which is not on every user's PATH. CI installs it (.ci/run).
const SBIN_DIRS = ['/usr/sbin', '/usr/local/sbin', '/sbin']
const STARTUP_TIMEOUT_MS = 10_000
const POLL_INTERVAL_MS = 20

function findNginx (): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...SBIN_DIRS]
  for (const dir of dirs) {
    const candidate = join(dir, 'nginx')
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {}
  }
  return undefined
}

export const NGINX_PATH = findNginx()
export const NO_NGINX: string | false = NGINX_PATH === undefined
  ? 'nginx is not installed: no nginx on PATH or in /usr/sbin (apt-get install nginx)'
  : false

async function accepts (port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => { socket.destroy(); resolve(true) })
    socket.once('error', () => resolve(false))
  })
}

// A private nginx in the foreground, running the documented configuration: its origin,
// e.g. http://127.0.0.1:40123. Stopped (and its directory removed) at teardown.
export async function startNginx (t: TestContext, ports: Omit<NginxAddresses, 'listenPort'>): Promise<string> {
  if (NGINX_PATH === undefined) throw new Error('nginx is not installed')
  const dir = mkdtempSync(join(tmpdir(), 'auth-nginx-'))
  const listenPort = await freePort()
  const conf = join(dir, 'nginx.conf')
  writeFileSync(conf, nginxConf(dir, { ...ports, listenPort }))
  // -e: errors before the configuration is read (and nginx's own) go to stderr, which we keep.
  const child = spawn(NGINX_PATH, ['-p', dir, '-c', conf, '-e', 'stderr', '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      await exited
    }
    rmSync(dir, { recursive: true, force: true })
  })

  const deadline = Date.now() + STARTUP_TIMEOUT_MS
  while (!(await accepts(listenPort))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`nginx did not start (exit ${String(child.exitCode)}):\n${stderr}`)
    }
    await sleep(POLL_INTERVAL_MS)
  }
  return `http://127.0.0.1:${listenPort}`
}
