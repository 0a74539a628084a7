import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from '../helpers/build-app.js'
import { freePort } from '../helpers/free-port.js'
import { caddyfile, documentedCaddyfile, type CaddyAddresses, type CaddyForm } from './caddy-conf.js'
import { findExecutable, startInForeground } from './foreground-process.js'

// CI installs Debian's caddy (.ci/run).
export const CADDY_PATH = findExecutable('caddy')
export const NO_CADDY: string | false = CADDY_PATH === undefined
  ? 'caddy is not installed: no caddy on PATH or in /usr/sbin (apt-get install caddy)'
  : false

// A private Caddy in the foreground (`caddy run`), running one of the documented Caddyfiles:
// its origin, e.g. http://127.0.0.1:40123. Its home and XDG directories are its own temporary
// directory, removed at teardown, when the process is killed.
export async function startCaddy (t: TestContext, form: CaddyForm, ports: Omit<CaddyAddresses, 'listenPort'>): Promise<string> {
  if (CADDY_PATH === undefined) throw new Error('caddy is not installed')
  const dir = mkdtempSync(join(tmpdir(), 'auth-caddy-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const listenPort = await freePort()
  const config = join(dir, 'Caddyfile')
  writeFileSync(config, caddyfile(dir, documentedCaddyfile(form, { ...ports, listenPort })))
  await startInForeground(t, {
    name: 'caddy',
    command: CADDY_PATH,
    args: ['run', '--config', config, '--adapter', 'caddyfile'],
    env: { ...process.env, HOME: dir, XDG_CONFIG_HOME: join(dir, 'config'), XDG_DATA_HOME: join(dir, 'data') },
    listenPort
  })
  return `http://127.0.0.1:${listenPort}`
}
