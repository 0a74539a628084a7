import { build } from 'esbuild'
import { copyFile, rm } from 'node:fs/promises'
import { join } from 'node:path'

// Bundles the web page into dist/public, where plugins/web-page.ts serves it: the scripts
// (with the SDK they import) into one ES module, the styles minified, the HTML as written.
// Runs compiled, from dist/web/build.js.
const projectRoot = join(import.meta.dirname, '..', '..')
const source = join(projectRoot, 'web')
const output = join(projectRoot, 'dist', 'public')

// The server routes the files it finds at start; a stale file from an older build must not be one.
await rm(output, { recursive: true, force: true })
await build({
  entryPoints: { app: join(source, 'src', 'main.ts'), styles: join(source, 'styles.css') },
  outdir: output,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  logLevel: 'warning'
})
await copyFile(join(source, 'index.html'), join(output, 'index.html'))
