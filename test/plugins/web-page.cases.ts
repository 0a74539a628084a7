import Fastify, { type FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import webPage from '../../plugins/web-page.js'

const PAGE_FILES = {
  'index.html': '<!doctype html><title>page</title><script type="module" src="/app.js"></script>',
  'app.js': 'console.log("page")',
  'styles.css': 'body{margin:0}'
}

function pageDir (t: Test, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'web-page-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content)
  return dir
}

// The plugin alone, next to an API route, with the name of the plugin it must load after.
async function serverWithPage (t: Test, webPageDir: string): Promise<FastifyInstance> {
  const fastify = Fastify()
  t.teardown(async () => await fastify.close())
  await fastify.register(fp(async () => undefined, { name: 'security' }))
  fastify.get('/auth/me', async () => ({ account: 'someone' }))
  await fastify.register(webPage, { webPageDir })
  await fastify.ready()
  return fastify
}

t.test('serves the built page at / and its assets, revalidated on every use', async (t) => {
  const fastify = await serverWithPage(t, pageDir(t, PAGE_FILES))

  const page = await fastify.inject({ method: 'GET', url: '/' })
  t.equal(page.statusCode, 200)
  t.match(page.headers['content-type'], /^text\/html/)
  t.equal(page.body, PAGE_FILES['index.html'])
  t.equal(page.headers['cache-control'], 'no-cache')

  const script = await fastify.inject({ method: 'GET', url: '/app.js' })
  t.equal(script.statusCode, 200)
  t.match(script.headers['content-type'], /javascript/)
  t.equal(script.headers['cache-control'], 'no-cache')
  const etag = script.headers.etag
  t.type(etag, 'string', 'an ETag to revalidate with')

  const revalidated = await fastify.inject({ method: 'GET', url: '/app.js', headers: { 'if-none-match': String(etag) } })
  t.equal(revalidated.statusCode, 304)

  const styles = await fastify.inject({ method: 'GET', url: '/styles.css' })
  t.match(styles.headers['content-type'], /^text\/css/)
})

t.test('routes only the page\'s files: other paths stay with the app', async (t) => {
  const fastify = await serverWithPage(t, pageDir(t, { ...PAGE_FILES, '.env': 'SECRET=1' }))

  t.equal((await fastify.inject({ method: 'GET', url: '/auth/me' })).json<{ account: string }>().account, 'someone')
  t.equal((await fastify.inject({ method: 'GET', url: '/nothing-here' })).statusCode, 404)
  t.equal((await fastify.inject({ method: 'GET', url: '/.env' })).statusCode, 404, 'dotfiles are not served')
  t.equal((await fastify.inject({ method: 'GET', url: '/../package.json' })).statusCode, 404)
})

t.test('without a built page, / answers 404 saying how to build it, and the server starts', async (t) => {
  const fastify = await serverWithPage(t, pageDir(t, {}))

  const page = await fastify.inject({ method: 'GET', url: '/' })
  t.equal(page.statusCode, 404)
  t.match(page.body, /not built: run `npm run build`/)
  t.equal((await fastify.inject({ method: 'GET', url: '/auth/me' })).statusCode, 200)
})
