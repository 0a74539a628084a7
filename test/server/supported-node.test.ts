import { execFileSync, spawnSync } from 'node:child_process'
import { accessSync, constants, readFileSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import semver from 'semver'
import t from 'tap'
import { request } from 'undici'
import { createTestDatabase } from '../helpers/database.js'
import { sharedRedisDatabaseUrl } from '../helpers/redis-server.js'
import { startServerProcess } from '../helpers/server-process.js'
import { TEST_PASSWORD, uniqueAccount } from '../helpers/sessions.js'

// The supported runtimes are Node.js 22 (>= 22.12) and 24, the maintained LTS lines; Node 20 is
// end of life, but the build machines' 20.20 must still run the README's two commands.

const ROOT = join(import.meta.dirname, '..', '..', '..')
const PACKAGE_FILES = ['package.json', 'session-check/package.json', 'sdk/package.json']
const SUPPORTED = ['22.12.0', '22.20.0', '24.0.0', '24.22.3']
const UNSUPPORTED = ['20.20.2', '22.11.0', '23.11.0']
const IMAGE = 'node:24-bookworm-slim'

function readJson (path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(ROOT, path), 'utf8')) as Record<string, unknown>
}

function nodeRange (path: string): string {
  return String((readJson(path).engines as { node?: unknown } | undefined)?.node)
}

t.test('every package.json names the supported Node.js lines, and only those', async (t) => {
  for (const file of PACKAGE_FILES) {
    const range = nodeRange(file)
    for (const version of SUPPORTED) t.ok(semver.satisfies(version, range), `${file} (${range}) allows ${version}`)
    for (const version of UNSUPPORTED) t.notOk(semver.satisfies(version, range), `${file} (${range}) refuses ${version}`)
  }
})

// npm ci prints EBADENGINE for a dependency whose engines refuse the running Node: none that
// runs in production may refuse a supported one.
t.test('no runtime dependency refuses a supported Node.js', async (t) => {
  const { packages } = readJson('package-lock.json') as { packages: Record<string, { dev?: boolean, engines?: { node?: string } }> }
  let checked = 0
  for (const [path, entry] of Object.entries(packages)) {
    if (path === '' || entry.dev === true || entry.engines?.node === undefined) continue
    checked++
    for (const version of SUPPORTED) {
      if (!semver.satisfies(version, entry.engines.node)) t.fail(`${path} needs Node ${entry.engines.node}, which refuses ${version}`)
    }
  }
  t.ok(checked > 10, `runtime dependencies that name a Node.js range: ${checked}`)
})

t.test(`the image and compose build on ${IMAGE}`, async (t) => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8')
  t.match(dockerfile, `ARG NODE_IMAGE=${IMAGE}`)
  const stages = dockerfile.match(/^FROM .*$/gm) ?? []
  t.equal(stages.length, 2)
  for (const stage of stages) t.match(stage, /^FROM \$\{NODE_IMAGE\}( AS build)?$/, 'both stages use it')
  const compose = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')
  t.match(compose, `NODE_IMAGE: ${IMAGE}`)
  t.notMatch(compose, /build: \.$/m, 'no service builds without the argument')
})

// A Node 20 other than the one running the tests, on PATH (CI puts Node 24 before the machine's).
function nodeTwentyOnPath (): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const binary = join(dir, 'node')
    try {
      accessSync(binary, constants.X_OK)
      const version = execFileSync(binary, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim()
      if (semver.major(version) === 20) return binary
    } catch {}
  }
  return undefined
}

// argon2's prebuilt binary crashes Node 20 when it loads, so `npm ci` on Node 20 builds it from
// source; an install made by a newer Node (CI's) has only the prebuilt one.
function loadsArgon2 (binary: string): boolean {
  return spawnSync(binary, ['-e', 'require("argon2")'], { cwd: ROOT, stdio: 'ignore' }).status === 0
}

const nodeTwenty = process.env.NODE_20_BINARY ?? nodeTwentyOnPath()
const skipNodeTwenty = nodeTwenty === undefined
  ? 'no Node 20 on PATH'
  : loadsArgon2(nodeTwenty) ? false : `${nodeTwenty} cannot load argon2 as Node ${process.versions.node} installed it (npm ci on Node 20 builds it)`
t.test('the server starts and logs in on the machine\'s Node 20', { skip: skipNodeTwenty }, async (t) => {
  const binary = nodeTwenty ?? ''
  const database = await createTestDatabase()
  t.teardown(database.drop)
  const server = await startServerProcess(t, { REDIS_URL: await sharedRedisDatabaseUrl(), ...(database.url === undefined ? {} : { DATABASE_URL: database.url }) }, binary)
  const json = { account: uniqueAccount(), password: TEST_PASSWORD }
  const call = async (path: string, body: object): Promise<number> => {
    const response = await request(`${server.origin}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    await response.body.dump()
    return response.statusCode
  }
  t.equal(await call('/auth/register', json), 201, server.output())
  t.equal(await call('/auth/login', json), 200, server.output())
})
