import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from '../helpers/build-app.js'
import { freePort } from '../helpers/free-port.js'
import { findExecutable, startInForeground } from './foreground-process.js'
import { documentedNginxServer, nginxConf, type NginxAddresses, type NginxServer } from './nginx-conf.js'

// CI installs nginx (.ci/run).
export const NGINX_PATH = findExecutable('nginx')
export const NO_NGINX: string | false = NGINX_PATH === undefined
  ? 'nginx is not installed: no nginx on PATH or in /usr/sbin (apt-get install nginx)'
  : false

// A private nginx in the foreground, running a documented configuration (by default that of
// docs/gateways.md): its origin, e.g. http://127.0.0.1:40123. Stopped (and its directory
// removed) at teardown.
export async function startNginx (t: TestContext, ports: Omit<NginxAddresses, 'listenPort'>, server: NginxServer = documentedNginxServer): Promise<string> {
  if (NGINX_PATH === undefined) throw new Error('nginx is not installed')
  const dir = mkdtempSync(join(tmpdir(), 'auth-nginx-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const listenPort = await freePort()
  const conf = join(dir, 'nginx.conf')
  writeFileSync(conf, nginxConf(dir, server({ ...ports, listenPort })))
  // -e: errors before the configuration is read (and nginx's own) go to stderr, which we keep.
  await startInForeground(t, { name: 'nginx', command: NGINX_PATH, args: ['-p', dir, '-c', conf, '-e', 'stderr', '-g', 'daemon off;'], listenPort })
  return `http://127.0.0.1:${listenPort}`
}
