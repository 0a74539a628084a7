import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { join, relative, resolve as resolvePath, sep } from 'node:path'
import { parseArgs } from 'node:util'
import { ConfigError, loadConfig, type AppConfig } from '../src/config/load-config.js'
import { ensureRedis, type RedisProvision } from './dev-redis.js'
import { WatchedServer } from './watch-and-restart.js'

// README command 1 (`npm run dev`, after an incremental `tsc`): run the server on a developer's
// machine and start it again on each source change. It provides a local Redis when none is
// given (bin/dev-redis.ts), says what it uses, bundles the web page when web/ changed, then
// hands the server to the watch loop (bin/watch-and-restart.ts). Never in production.

const PROJECT_DIR = resolvePath(import.meta.dirname, '..', '..')
const DIST_DIR = join(PROJECT_DIR, 'dist')
const WEB_SOURCES = [join(PROJECT_DIR, 'web'), join(PROJECT_DIR, 'sdk', 'src')]
const WEB_BUNDLE = join(DIST_DIR, 'public', 'index.html')
// The restart's own node flags and variables, as `npm start` runs the server.
const NODE_ARGS = ['--enable-source-maps']
// Compiled files that are not the server: a changed test or benchmark restarts nothing.
const NOT_THE_SERVER = ['test', 'bench', 'web', join('sdk', 'test')].map((dir) => join(DIST_DIR, dir) + sep)

function say (line: string): void {
  console.log(`[dev] ${line}`)
}

// A URL as it may be printed: its password replaced.
export function withoutPassword (url: string): string {
  const parsed = new URL(url)
  if (parsed.password !== '') parsed.password = '***'
  return parsed.href
}

// The server's sources (as tsconfig.json includes them, tests and benchmarks aside). One missed
// here costs nothing but a restart once tsc has compiled it.
const SERVER_SOURCES = ['bin', 'contract', 'src', 'plugins', 'routes', 'session-check', join('sdk', 'src'),
  ...readdirSync(PROJECT_DIR).filter((name) => name.endsWith('.ts'))]

// When the last compile without errors started: tsc leaves the output of a source that was
// touched but not changed as it was, so its compiled file alone would look stale for ever.
const COMPILED_STAMP = join(DIST_DIR, '.dev-compiled')
const compiledAt = statSync(COMPILED_STAMP, { throwIfNoEntry: false })?.mtimeMs ?? 0

function stampCompiled (startedAt: number): void {
  writeFileSync(COMPILED_STAMP, '')
  utimesSync(COMPILED_STAMP, new Date(startedAt), new Date(startedAt))
}

// A source newer than its compiled file (or without one) and than the last clean compile: the
// runner then waits for tsc.
function compiledIsCurrent (path: string): boolean {
  const stat = statSync(path, { throwIfNoEntry: false })
  if (stat === undefined) return true
  if (stat.isDirectory()) return readdirSync(path).every((name) => name === 'dist' || name === 'node_modules' || compiledIsCurrent(join(path, name)))
  if (!path.endsWith('.ts') || path.endsWith('.d.ts')) return true
  const compiled = statSync(join(DIST_DIR, relative(PROJECT_DIR, path)).replace(/\.ts$/, '.js'), { throwIfNoEntry: false })
  return stat.mtimeMs <= compiledAt || (compiled !== undefined && compiled.mtimeMs >= stat.mtimeMs)
}

function newestChange (path: string): number {
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.mtimeMs
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newestChange(join(path, name))))
}

// The page's bundle is rebuilt only when its sources (or the SDK it bundles) are newer.
function bundleWebPageIfChanged (): void {
  const builtAt = existsSync(WEB_BUNDLE) ? statSync(WEB_BUNDLE).mtimeMs : 0
  if (Math.max(...WEB_SOURCES.map(newestChange)) <= builtAt) return
  say('web/ changed: bundling the page')
  const result = spawnSync(process.execPath, [join(DIST_DIR, 'web', 'build.js')], { stdio: 'inherit' })
  if (result.status !== 0) say('the page did not bundle: `/` keeps the last bundle')
}

function describeRedis (config: AppConfig, redis: RedisProvision): string {
  if (config.REDIS_CLUSTER_NODES !== undefined) return `the Redis Cluster at ${config.REDIS_CLUSTER_NODES}`
  const url = withoutPassword(config.REDIS_URL)
  if (redis.startedPid !== undefined) return `${url}, a private redis-server (pid ${redis.startedPid}, data in ${redis.dataDir}) that stops when this runner stops`
  return `${url} (not started by this runner)`
}

function describeDatabase (config: AppConfig): string {
  if (config.DATABASE_URL !== undefined) return withoutPassword(config.DATABASE_URL)
  return `the embedded PGlite database in ${resolvePath(config.DATA_DIR, 'pglite')}`
}

function describeSecret (config: AppConfig): string {
  if (config.generatedSecretPath === undefined) return 'JWT_SECRET/JWT_KEYS from the environment'
  const fromHere = relative(process.cwd(), config.generatedSecretPath)
  const path = fromHere.startsWith('..') ? config.generatedSecretPath : fromHere
  return `the development secret in ${path}; another service on this machine uses it with JWT_SECRET=$(cat ${path})`
}

// Where password-reset links go (docs/recovery.md), and the page they open.
function describeDelivery (config: AppConfig): string {
  const opening = `opening ${config.publicUrl}/#/reset`
  const delivery = config.delivery
  switch (delivery.kind) {
    case 'webhook': return `POSTed to ${withoutPassword(delivery.url)}, ${opening}`
    case 'smtp': return `e-mailed through ${withoutPassword(delivery.url)}, ${opening}`
    case 'log': return `written to this log (no DELIVERY_WEBHOOK_URL or SMTP_URL), ${opening}`
    case 'none': return 'not sent: no DELIVERY_WEBHOOK_URL or SMTP_URL'
  }
}

// `--no-watch`: start the server once, as after a change, without TypeScript's watch.
const { values: flags } = parseArgs({ options: { watch: { type: 'boolean', default: true } }, allowNegative: true })

let config: AppConfig
let redis: RedisProvision
try {
  config = loadConfig()
  redis = await ensureRedis(config, say)
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : `Cannot provide Redis: ${(error as Error).message}`)
  process.exit(1)
}
say(`Redis: ${describeRedis(config, redis)}`)
say(`database: ${describeDatabase(config)}`)
say(`tokens: ${describeSecret(config)}`)
say(`password-reset links: ${describeDelivery(config)}`)
bundleWebPageIfChanged()

const server = new WatchedServer({
  projectDir: PROJECT_DIR,
  entry: join(DIST_DIR, 'bin', 'dev-server.js'),
  nodeArgs: NODE_ARGS,
  env: process.env,
  restartsFor: (file) => !NOT_THE_SERVER.some((dir) => file.startsWith(dir)),
  say,
  onCleanCompile: stampCompiled,
  ...(flags.watch ? { spareArgs: ['--spare'] } : {})
})
const compiled = SERVER_SOURCES.every((source) => compiledIsCurrent(join(PROJECT_DIR, source)))
if (!compiled) say('sources changed since the last compile: the server starts after TypeScript has compiled them')
server.start({ compiled: compiled || !flags.watch, watch: flags.watch })

// Ctrl-C reaches this process (the server has a process group of its own): the server finishes
// its requests first, then the redis-server this runner started stops.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    say('stopping')
    void server.stop().then(async () => await redis.stop()).then(() => process.exit(0))
  })
}
