import { spawn, execFile, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { promisify } from 'node:util'
import t from 'tap'
import { sessionKeys } from '../../src/sessions/session-keys.js'
import { buildTestApp, TEST_JWT_SECRET } from '../helpers/build-app.js'
import { createAndLogIn, createUser } from '../helpers/sessions.js'
import { createProject, installedVersion, packTarballs, PROJECT_ROOT, publishDryRun } from '../helpers/packed-project.js'
import { RedisServer } from '../helpers/redis-server.js'
import { toolEnv } from '../helpers/tool-env.js'
import { phoneCodeLoginBesideTheServer } from './phone-code-login-example.js'

const run = promisify(execFile)
const SESSION_TTL_SECONDS = 600
const MS_PER_SECOND = 1000
// Another instance hears of a logout through Redis' invalidation message: milliseconds, bounded
// here far above that, so that a test process starved of CPU is not mistaken for a lost message.
const INVALIDATION_BOUND_MS = 10_000
const POLL_MS = 10
const SERVICE_START_TIMEOUT_MS = 30_000

interface ErrorBody { errorCode: string, reason?: string }

// The repository's workspaces, published as these packages.
const PACKAGES = [
  { workspace: 'session-check', name: '@token-session-auth/fastify' },
  { workspace: 'sdk', name: '@token-session-auth/client' }
]
const WORKSPACES = PACKAGES.map(({ workspace }) => workspace)

interface Manifest {
  name: string
  version: string
  private?: boolean
  exports: Record<string, string | Record<string, string>>
  publishConfig?: { access?: string }
}

function manifestOf (workspace: string): Manifest {
  return JSON.parse(readFileSync(join(PROJECT_ROOT, workspace, 'package.json'), 'utf8')) as Manifest
}

// The files `exports` names, without their leading './'.
function exportedFiles (manifest: Manifest): string[] {
  return Object.values(manifest.exports).flatMap((target) => typeof target === 'string' ? [target] : Object.values(target))
    .map((path) => path.replace(/^\.\//, ''))
}

async function startService (script: string, env: Record<string, string>): Promise<{ child: ChildProcess, url: string }> {
  const child = spawn(process.execPath, [script], { env: toolEnv({ ...process.env, ...env }), stdio: ['ignore', 'pipe', 'inherit'] })
  const lines = createInterface({ input: child.stdout ?? process.stdin })
  const started = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the service did not start')), SERVICE_START_TIMEOUT_MS)
    child.once('exit', (code) => reject(new Error(`the service exited with ${String(code)}`)))
    lines.once('line', (line) => {
      clearTimeout(timer)
      resolve(`http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}`)
    })
  })
  return { child, url: await started }
}

async function sleep (ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms))
}

t.test('npm publish --dry-run passes for both packages, with what a user needs and only that', async (t) => {
  const published = await publishDryRun(WORKSPACES)
  t.same(published.map(({ name }) => name), PACKAGES.map(({ name }) => name), 'both would be published')
  for (const { workspace, name } of PACKAGES) {
    const manifest = manifestOf(workspace)
    t.equal(manifest.private, undefined, `${name}: not private`)
    t.equal(manifest.publishConfig?.access, 'public', `${name}: published as public (a scoped package is private by default)`)
    const files = published.find((pack) => pack.name === name)?.files.map(({ path }) => path) ?? []
    t.equal(published.find((pack) => pack.name === name)?.version, manifest.version, `${name}: the manifest's version`)
    for (const file of ['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE', ...exportedFiles(manifest)]) {
      t.ok(files.includes(file), `${name}: ${file}`)
    }
    t.same(files.filter((file) => !file.startsWith('dist/') && !['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE'].includes(file)), [], `${name}: nothing outside dist/ but its documents`)
    t.same(files.filter((file) => file.endsWith('.map') || (file.endsWith('.ts') && !file.endsWith('.d.ts'))), [], `${name}: no sources or source maps`)
    t.ok(files.includes('dist/contract/api-contract.js'), `${name}: the public contract`)
  }
})

t.test('the packed plugin and SDK, installed from their tarballs into a fresh project', { timeout: 300_000 }, async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'packed-packages-'))
  t.teardown(() => rmSync(work, { recursive: true, force: true }))
  const tarballs = await packTarballs(WORKSPACES, work)
  const project = join(work, 'project')
  await createProject(project, {
    dependencies: {
      ...Object.fromEntries(PACKAGES.map(({ name }) => [name, `file:${tarballs.get(name) ?? ''}`])),
      fastify: await installedVersion('fastify'),
      ioredis: await installedVersion('ioredis'),
      axios: await installedVersion('axios'),
      '@types/node': await installedVersion('@types/node')
    },
    sourceDir: join('test', 'package', 'consumer')
  })

  const redisServer = await RedisServer.start()
  t.teardown(async () => await redisServer.destroy())
  const { app, config } = await buildTestApp(t, { redisServer, env: { SESSION_TTL: String(SESSION_TTL_SECONDS) } })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  const authUrl = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`
  const keys = sessionKeys(config.REDIS_KEY_PREFIX)

  const service = await startService(join(project, 'dist', 'service.js'), {
    REDIS_URL: config.REDIS_URL,
    REDIS_KEY_PREFIX: config.REDIS_KEY_PREFIX,
    JWT_SECRET: TEST_JWT_SECRET,
    SESSION_TTL: String(SESSION_TTL_SECONDS)
  })
  t.teardown(() => { service.child.kill('SIGTERM') })
  const orders = async (headers: Record<string, string>): Promise<Response> => await fetch(`${service.url}/orders`, { headers })

  t.test('a token from the auth server\'s login works in the other service, by every transport', async (t) => {
    const session = await createAndLogIn(app)
    const transports: Array<Record<string, string>> = [{ token: session.token }, { authorization: `Bearer ${session.token}` }, { cookie: `accessToken=${session.token}` }]
    for (const headers of transports) {
      const res = await orders(headers)
      t.equal(res.status, 200, Object.keys(headers)[0] ?? '')
      t.same(await res.json(), { orders: [], userId: session.userId, userType: 'user', sessionId: session.sessionId })
    }
    const refused = await orders({ token: `${session.token.slice(0, -4)}AAAA` })
    t.equal(refused.status, 401)
    t.equal((await refused.json() as ErrorBody).errorCode, '1001', 'a forged signature: 1001, in the server\'s error shape')
  })

  t.test('activity in the other service slides the session', async (t) => {
    const session = await createAndLogIn(app)
    const key = keys.session(session.userId, session.sessionId)
    const lowered = SESSION_TTL_SECONDS * MS_PER_SECOND / 2
    await app.redis.pexpire(key, lowered)
    t.equal((await orders({ token: session.token })).status, 200)
    // A session the service has cached is slid off the response path: allow it a moment.
    const deadline = Date.now() + 5 * MS_PER_SECOND
    let ttl = await app.redis.pttl(key)
    while (ttl <= lowered && Date.now() < deadline) {
      await sleep(POLL_MS)
      ttl = await app.redis.pttl(key)
    }
    t.ok(ttl > (SESSION_TTL_SECONDS - 10) * MS_PER_SECOND, `back near SESSION_TTL (${ttl} ms)`)
  })

  t.test('a logout on the auth server is refused in the other service', async (t) => {
    const session = await createAndLogIn(app)
    // Cached there first, so the refusal must come from Redis' invalidation, not a cold read.
    t.equal((await orders({ token: session.token })).status, 200)
    const logout = await app.inject({ method: 'POST', url: '/auth/logout', headers: { token: session.token } })
    t.equal(logout.statusCode, 200)
    const loggedOutAt = Date.now()
    let res = await orders({ token: session.token })
    while (res.status === 200 && Date.now() - loggedOutAt < INVALIDATION_BOUND_MS) {
      await sleep(POLL_MS)
      res = await orders({ token: session.token })
    }
    t.equal(res.status, 401, `refused within ${INVALIDATION_BOUND_MS} ms (after ${Date.now() - loggedOutAt} ms)`)
    t.same(await res.json(), { code: 0, errorCode: '1002', info: 'Session has ended (logout)', reason: 'logout' })
    for (let i = 0; i < 3; i++) t.equal((await orders({ token: session.token })).status, 401, 'and stays refused')
  })

  t.test('the SDK from its tarball, fetch and axios, against the server\'s example resource', async (t) => {
    const user = await createUser(app)
    const { stdout } = await run(process.execPath, [join(project, 'dist', 'client.js'), authUrl, user.account, user.password], { env: toolEnv() })
    const seen = JSON.parse(stdout.trim()) as { userId: number, fetchStatus: number, axiosStatus: number, texts: string[] }
    t.equal(seen.userId, user.userId, 'logged in')
    t.equal(seen.fetchStatus, 201, 'fetch created a note')
    t.equal(seen.axiosStatus, 201, 'axios created a note')
    t.same(seen.texts, ['from axios', 'from fetch'], 'both listed, newest first')
  })

  // Node runs the example's TypeScript as it is: type stripping, on by default from Node 22.18.
  const stripsTypes = 'typescript' in process.features && process.features.typescript !== false
  t.test('examples/phone-code-login, run from the project beside a real auth server process', { skip: stripsTypes ? false : `Node ${process.version} does not strip types` }, async (t) => {
    // A database of its own on the same redis-server.
    await phoneCodeLoginBesideTheServer(t, { project, redisUrl: `${redisServer.url}/1` })
  })
})
