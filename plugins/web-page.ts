import fastifyStatic from '@fastify/static'
import fp from 'fastify-plugin'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { NotFoundError } from '../src/errors/api-errors.js'

// Where `npm run build` puts the bundled page (web/build.ts), seen from dist/plugins/.
export const WEB_PAGE_DIR = join(import.meta.dirname, '..', 'public')
const PAGE_ENTRY = 'index.html'
// The page's assets have fixed names (app.js, styles.css): a browser may keep them but must ask
// again each time (a 304 when unchanged), so a rebuilt page is never mixed with an old script.
const ASSET_CACHE_CONTROL = 'no-cache'

export interface WebPageOptions {
  // Tests point it elsewhere; the app serves WEB_PAGE_DIR.
  webPageDir?: string
}

// The web page at `/`: login, the account, its sessions. Static files only; the API it calls
// lives under /auth.
export default fp<WebPageOptions>(async (fastify, options) => {
  const root = options.webPageDir ?? WEB_PAGE_DIR
  if (!existsSync(join(root, PAGE_ENTRY))) {
    fastify.log.warn({ dir: root }, 'The web page is not built: `/` answers 404. Run `npm run build`.')
    fastify.get('/', { schema: { hide: true } }, async () => {
      throw new NotFoundError('The web page is not built: run `npm run build`')
    })
    return
  }

  await fastify.register(fastifyStatic, {
    root,
    // One route per file found at start (/, /index.html, /app.js, /styles.css), instead of a
    // catch-all GET /* that would answer for every unknown path next to /auth, /admin and /docs.
    wildcard: false,
    dotfiles: 'ignore',
    // Nothing here calls reply.sendFile; the API docs register their own copy of the plugin.
    decorateReply: false,
    cacheControl: false,
    setHeaders: (reply) => { reply.header('cache-control', ASSET_CACHE_CONTROL) }
  })
}, { name: 'web-page', dependencies: ['security'] })
