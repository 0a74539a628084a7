import { fencedBlocks, GATEWAYS_DOC, replaceOnce } from './doc-blocks.js'

// The placeholders of the documented Caddyfiles, each of which must occur exactly once.
const DOC_SITE = 'api.example.com {'
const DOC_AUTH_SERVER = 'auth.internal:3000'
const DOC_APP_SERVER = 'app.internal:8080'

export interface CaddyAddresses {
  authPort: number
  appPort: number
  listenPort: number
}

// docs/gateways.md shows forward_auth twice: the short directive, then its expanded form.
export type CaddyForm = 'short' | 'expanded'
const FORM_INDEX: Record<CaddyForm, number> = { short: 0, expanded: 1 }
const DOC_CADDY_BLOCKS = 2

export function documentedCaddyfile (form: CaddyForm, addresses: CaddyAddresses): string {
  const blocks = fencedBlocks(GATEWAYS_DOC, 'caddy')
  if (blocks.length !== DOC_CADDY_BLOCKS) throw new Error(`${GATEWAYS_DOC} must hold exactly ${DOC_CADDY_BLOCKS} caddy blocks, not ${blocks.length}`)
  let block = blocks[FORM_INDEX[form]] ?? ''
  block = replaceOnce(block, DOC_SITE, `http://127.0.0.1:${addresses.listenPort} {`)
  block = replaceOnce(block, DOC_AUTH_SERVER, `127.0.0.1:${addresses.authPort}`)
  return replaceOnce(block, DOC_APP_SERVER, `127.0.0.1:${addresses.appPort}`)
}

// The global options a private Caddy needs: no admin endpoint (no port of its own), listening on
// loopback only, its storage under `dir`.
export function caddyfile (dir: string, site: string): string {
  return [
    '{',
    '\tadmin off',
    '\tdefault_bind 127.0.0.1',
    `\tstorage file_system ${dir}/data`,
    '}',
    '',
    site
  ].join('\n')
}
