import { spawnSync } from 'node:child_process'
import { symlinkSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { request } from 'undici'
import { WatchedServer } from '../../bin/watch-and-restart.js'
import { freePort } from '../helpers/free-port.js'
import { toolEnv } from '../helpers/tool-env.js'
import { PROJECT_DIR, tempDir } from './run-cli.js'

// `npm run dev`'s loop (bin/watch-and-restart.ts) on a one-file project, so TypeScript's watch
// starts in a second rather than compiling the whole server: a change is compiled and served,
// a type error leaves the running server alone, and stopping leaves no process behind.

// A liveness bound for a loaded machine, not an expectation.
const CHANGE_LIMIT_MS = 120_000
const POLL_MS = 50
const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc')

// Every process this file starts is tsc or the one-file project's server, never the repository's
// code: none of them is run under coverage (tool-env.ts), the loop's own tsc included.
Object.assign(process.env, toolEnv({}))

const TSCONFIG = {
  compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, outDir: 'dist', types: ['node'] },
  include: ['server.ts', 'main.ts']
}

// Like bin/dev-server.ts: a spare waits to be told, then loads the server, compiled by then.
const MAIN_SOURCE = `const spare = process.argv.includes('--spare')
if (spare) await new Promise((resolve) => { process.once('message', resolve); process.send?.({ waiting: true }) })
const { listen } = await import('./server.js')
listen(spare)
`

function serverSource (answer: string): string {
  return `import { createServer } from 'node:http'
const answer: string = ${answer}
export function listen (spare: boolean): void {
  const server = createServer((_request, response) => { response.end(answer) })
  server.listen(Number(process.env.PORT), '127.0.0.1', () => { process.send?.({ listening: 'port ' + process.env.PORT + (spare ? ', the spare' : '') }) })
  process.once('SIGTERM', () => { server.close(); process.disconnect() })
}
`
}

async function answer (origin: string): Promise<string | undefined> {
  try {
    const response = await request(origin)
    return await response.body.text()
  } catch {
    return undefined
  }
}

async function waitFor (what: string, found: () => boolean | Promise<boolean>, said: string[]): Promise<void> {
  const deadline = Date.now() + CHANGE_LIMIT_MS
  while (!await found()) {
    if (Date.now() > deadline) throw new Error(`no ${what} within ${CHANGE_LIMIT_MS} ms; the loop said:\n${said.join('\n')}`)
    await sleep(POLL_MS)
  }
}

t.test('a change is compiled and served; a type error keeps the last good server; stop leaves nothing running', async (t) => {
  const dir = tempDir(t)
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }))
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(TSCONFIG))
  symlinkSync(join(PROJECT_DIR, 'node_modules'), join(dir, 'node_modules'))
  writeFileSync(join(dir, 'server.ts'), serverSource('\'first\''))
  writeFileSync(join(dir, 'main.ts'), MAIN_SOURCE)
  // As package.json's dev script does before the runner starts the loop.
  const compiled = spawnSync(process.execPath, [TSC, '-p', '.', '--incremental'], { cwd: dir, encoding: 'utf8' })
  t.equal(compiled.status, 0, compiled.stdout)

  const port = await freePort()
  const origin = `http://127.0.0.1:${port}`
  const said: string[] = []
  const server = new WatchedServer({
    projectDir: dir,
    entry: join(dir, 'dist', 'main.js'),
    nodeArgs: [],
    env: { PATH: process.env.PATH ?? '', PORT: String(port) },
    restartsFor: () => true,
    say: (line) => said.push(line),
    spareArgs: ['--spare']
  })
  server.start({ compiled: true, watch: true })
  t.teardown(async () => await server.stop())

  await waitFor('first answer', async () => await answer(origin) === 'first', said)
  await waitFor('the watch\'s first compile', () => said.some((line) => line.startsWith('watching the sources')), said)
  t.same([...said].sort(), [`listening at port ${port}`, 'watching the sources: a change restarts the server'],
    'nothing changed since the last compile: no restart')

  writeFileSync(join(dir, 'server.ts'), serverSource('\'second\''))
  await waitFor('second answer', async () => await answer(origin) === 'second', said)
  t.ok(said.some((line) => /listening at port \d+, the spare \(\d+\.\d s after the change\)/.test(line)),
    'the spare became the server, serving the new code, and says how long that took')

  const restartsBefore = said.filter((line) => line.includes('restarting')).length
  writeFileSync(join(dir, 'server.ts'), serverSource('42'))
  await waitFor('the type error', () => said.some((line) => line.includes('1 TypeScript error(s): the server keeps running the last build that compiled')), said)
  t.ok(said.some((line) => line.includes('error TS2322')), 'tsc\'s own words for the error')
  t.equal(await answer(origin), 'second', 'the last good server still answers')
  t.equal(said.filter((line) => line.includes('restarting')).length, restartsBefore, 'and was not restarted')

  writeFileSync(join(dir, 'server.ts'), serverSource('\'third\''))
  await waitFor('third answer', async () => await answer(origin) === 'third', said)

  await server.stop()
  t.equal(await answer(origin), undefined, 'stopped: nothing answers on the port')
  t.notOk(said.some((line) => line.includes('the server exited')), 'no server exited on its own')
})
