import { fencedBlocks, GATEWAYS_DOC, README, replaceOnce } from './doc-blocks.js'

// The placeholders of the gateways.md block, each of which must occur exactly once.
const DOC_AUTH_SERVER = 'server auth.internal:3000;'
const DOC_APP_SERVER = 'server app.internal:8080;'
const DOC_LISTEN = 'listen 80;'

export interface NginxAddresses {
  authPort: number
  appPort: number
  listenPort: number
}

// The `http` context's content that a private nginx runs: upstreams and one server.
export type NginxServer = (addresses: NginxAddresses) => string

function onlyBlock (file: string): string {
  const blocks = fencedBlocks(file, 'nginx')
  if (blocks.length !== 1) throw new Error(`${file} must hold exactly one nginx block, not ${blocks.length}`)
  return blocks[0] ?? ''
}

// docs/gateways.md's complete configuration, on loopback addresses.
export const documentedNginxServer: NginxServer = (addresses) => {
  let block = onlyBlock(GATEWAYS_DOC)
  block = replaceOnce(block, DOC_AUTH_SERVER, `server 127.0.0.1:${addresses.authPort};`)
  block = replaceOnce(block, DOC_APP_SERVER, `server 127.0.0.1:${addresses.appPort};`)
  return replaceOnce(block, DOC_LISTEN, `listen 127.0.0.1:${addresses.listenPort};`)
}

// The README's essential lines (two locations), inside the upstreams and server they name.
export const readmeNginxServer: NginxServer = (addresses) => [
  `upstream auth_server { server 127.0.0.1:${addresses.authPort}; }`,
  `upstream app_server { server 127.0.0.1:${addresses.appPort}; }`,
  'server {',
  `  listen 127.0.0.1:${addresses.listenPort};`,
  onlyBlock(README),
  '}'
].join('\n')

// A server on loopback addresses, inside the main context a private nginx needs: everything it
// writes (pid, logs, temporary files) under `dir`, one process (master_process off: no workers,
// so no user to switch to).
export function nginxConf (dir: string, server: string): string {
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
    server,
    '}',
    ''
  ].join('\n')
}
