import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

// The configuration the test runs is the one docs/gateways.md shows: read from there, with only
// the addresses replaced, so the two cannot drift apart.
export const GATEWAYS_DOC = fileURLToPath(new URL('../../../docs/gateways.md', import.meta.url))
const NGINX_BLOCK = /^```nginx\n([\s\S]*?)^```$/gm

// The placeholders of the documented block, each of which must occur exactly once.
const DOC_AUTH_SERVER = 'server auth.internal:3000;'
const DOC_APP_SERVER = 'server app.internal:8080;'
const DOC_LISTEN = 'listen 80;'

export interface NginxAddresses {
  authPort: number
  appPort: number
  listenPort: number
}

export function documentedNginxBlock (doc = readFileSync(GATEWAYS_DOC, 'utf8')): string {
  const blocks = [...doc.matchAll(NGINX_BLOCK)].map((match) => match[1] ?? '')
  if (blocks.length !== 1) throw new Error(`${GATEWAYS_DOC} must hold exactly one nginx block, not ${blocks.length}`)
  return blocks[0] ?? ''
}

function replaceOnce (text: string, placeholder: string, value: string): string {
  const parts = text.split(placeholder)
  if (parts.length !== 2) throw new Error(`the documented nginx block must contain "${placeholder}" exactly once`)
  return parts.join(value)
}

// The documented server block on loopback addresses, inside the main context a private nginx
// needs: everything it writes (pid, logs, temporary files) under `dir`, one process
// (master_process off: no workers, so no user to switch to).
export function nginxConf (dir: string, addresses: NginxAddresses, doc?: string): string {
  let block = documentedNginxBlock(doc)
  block = replaceOnce(block, DOC_AUTH_SERVER, `server 127.0.0.1:${addresses.authPort};`)
  block = replaceOnce(block, DOC_APP_SERVER, `server 127.0.0.1:${addresses.appPort};`)
  block = replaceOnce(block, DOC_LISTEN, `listen 127.0.0.1:${addresses.listenPort};`)
  return [
    'master_process off;',
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/error.log warn;`,
    'events { worker_connections 64; }',
    'http {',
    '  access_log off;',
    `  client_body_temp_path ${dir}/client_body;`,
    `  proxy_temp_path ${dir}/proxy;`,
    `  fastcgi_temp_path ${dir}/fastcgi;`,
    `  uwsgi_temp_path ${dir}/uwsgi;`,
    `  scgi_temp_path ${dir}/scgi;`,
    block,
    '}',
    ''
  ].join('\n')
}
