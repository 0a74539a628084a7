import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t, { type Test } from 'tap'
import { ConfigError, loadConfig, type AppConfig, type EnvSource } from '../src/config/load-config.js'
import { TEST_DATA_ENCRYPTION_KEY, TEST_JWT_SECRET } from './helpers/build-app.js'

const PROJECT_DIR = fileURLToPath(new URL('../../', import.meta.url))
const SERVER_ENTRY = join(PROJECT_DIR, 'dist', 'server.js')
const SECRET_FILE_NAME = 'jwt-secret'
const OWNER_READ_WRITE = 0o600
const FILE_PERMISSION_BITS = 0o777
const SERVER_EXIT_TIMEOUT_MS = 60_000
// Generous for a CPU-starved machine (a run beside other test suites took 8.5 s to start node
// and exit); a server that retried or hung instead of stopping is killed at the timeout.
const QUICK_EXIT_MS = 30_000

function tempDir (t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'auth-config-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

function configErrorOf (source: EnvSource): ConfigError | undefined {
  try {
    loadConfig(source)
    return undefined
  } catch (error) {
    if (error instanceof ConfigError) return error
    throw error
  }
}

t.test('defaults', async (t) => {
  const config = loadConfig({ JWT_SECRET: TEST_JWT_SECRET })
  t.match(config, {
    PORT: 3000,
    SESSION_TTL: 604800,
    SESSION_MAX_LIFETIME: 2592000,
    TOKEN_HEADER: 'token',
    REDIS_URL: 'redis://127.0.0.1:6379',
    RATE_LIMIT_LOGIN_ACCOUNT_IP: 10,
    RATE_LIMIT_LOGIN_ACCOUNT: 100,
    RATE_LIMIT_LOGIN_IP: 100,
    RATE_LIMIT_PASSWORD_SESSION: 5,
    SESSION_MAX_PER_USER: 100,
    LOGIN_USER_COOKIE: false,
    trustedProxies: false,
    RATE_LIMIT_REGISTER_IP: 20,
    RATE_LIMIT_WINDOW: 900,
    REGISTRATION_OPEN: true,
    NODE_ENV: 'development',
    isProduction: false,
    COOKIE_SECURE: false,
    JWT_SECRET: TEST_JWT_SECRET
  }, 'the documented defaults')
  t.same(config.corsOrigins, [], 'no CORS origins')
  t.equal(config.generatedSecretPath, undefined, 'a given secret is not a generated one')

  const production = loadConfig({ NODE_ENV: 'production', DATA_ENCRYPTION_KEY: TEST_DATA_ENCRYPTION_KEY, JWT_SECRET: TEST_JWT_SECRET })
  t.equal(production.isProduction, true, 'production is recognised')
  t.equal(production.COOKIE_SECURE, true, 'cookies are Secure in production by default')
  const insecure = loadConfig({ NODE_ENV: 'production', DATA_ENCRYPTION_KEY: TEST_DATA_ENCRYPTION_KEY, JWT_SECRET: TEST_JWT_SECRET, COOKIE_SECURE: 'false' })
  t.equal(insecure.COOKIE_SECURE, true, 'and COOKIE_SECURE=false cannot turn that off in production')
  t.equal(loadConfig({ JWT_SECRET: TEST_JWT_SECRET, COOKIE_SECURE: 'true' }).COOKIE_SECURE, true, 'COOKIE_SECURE adds it elsewhere')

  t.equal(config.EXAMPLE_ROUTES, true, 'the example routes are on outside production')
  t.equal(production.EXAMPLE_ROUTES, false, 'and off in production')
  t.equal(loadConfig({ NODE_ENV: 'production', DATA_ENCRYPTION_KEY: TEST_DATA_ENCRYPTION_KEY, JWT_SECRET: TEST_JWT_SECRET, EXAMPLE_ROUTES: 'true' }).EXAMPLE_ROUTES, true,
    'unless EXAMPLE_ROUTES=true turns them on')
  t.equal(loadConfig({ JWT_SECRET: TEST_JWT_SECRET, EXAMPLE_ROUTES: 'false' }).EXAMPLE_ROUTES, false, 'EXAMPLE_ROUTES=false turns them off')
})

t.test('a bad value is refused with a message naming the variable', async (t) => {
  const cases: Array<[string, EnvSource]> = [
    ['SESSION_TTL', { JWT_SECRET: TEST_JWT_SECRET, SESSION_TTL: 'abc' }],
    ['JWT_SECRET', { JWT_SECRET: 'x'.repeat(31) }],
    ['REDIS_URL', { JWT_SECRET: TEST_JWT_SECRET, REDIS_URL: 'http://x' }]
  ]
  for (const [variable, source] of cases) {
    const error = configErrorOf(source)
    t.ok(error instanceof ConfigError, `${variable}: a ConfigError`)
    t.match(error?.message, variable, `${variable}: named in "${error?.message ?? ''}"`)
  }
})

t.test('production without JWT_SECRET is refused, and nothing is generated', async (t) => {
  const dataDir = tempDir(t)
  const error = configErrorOf({ NODE_ENV: 'production', DATA_DIR: dataDir })
  t.ok(error instanceof ConfigError, 'a ConfigError')
  t.match(error?.message, 'JWT_SECRET', 'names JWT_SECRET')
  t.match(error?.message, 'production', 'says it is required in production')
  t.notOk(existsSync(join(dataDir, SECRET_FILE_NAME)), 'no secret file written')
})

t.test('in development a missing JWT_SECRET is generated once under DATA_DIR', async (t) => {
  const dataDir = join(tempDir(t), 'not-yet-there')
  const secretPath = join(dataDir, SECRET_FILE_NAME)

  const secretOf = (config: AppConfig): string => config.jwtKeys[0].secret ?? ''
  const first = loadConfig({ DATA_DIR: dataDir })
  t.equal(first.generatedSecretPath, secretPath, 'generatedSecretPath points at the file')
  t.ok(secretOf(first).length >= 32, `a secret of at least 32 characters (${secretOf(first).length})`)
  t.equal(readFileSync(secretPath, 'utf8'), secretOf(first), 'the file holds the secret')
  t.equal(first.jwtKeys.length, 1, 'one key, with no kid')
  t.equal(first.jwtKeys[0].kid, undefined)
  t.equal(first.refreshTokenSecret, secretOf(first), 'refresh tokens derive from it, as they always did')
  t.equal(statSync(secretPath).mode & FILE_PERMISSION_BITS, OWNER_READ_WRITE, 'only its owner may read it (0600)')

  const second = loadConfig({ DATA_DIR: dataDir })
  t.equal(secretOf(second), secretOf(first), 'a second load reuses it')
  t.equal(second.generatedSecretPath, secretPath, 'and still says it was generated')

  const otherDir = join(tempDir(t), 'other')
  t.not(secretOf(loadConfig({ DATA_DIR: otherDir })), secretOf(first), 'another data dir gets its own secret')
})

t.test('CORS_ORIGINS is a comma-separated list', async (t) => {
  const config = loadConfig({ JWT_SECRET: TEST_JWT_SECRET, CORS_ORIGINS: 'https://a.example, https://b.example' })
  t.same(config.corsOrigins, ['https://a.example', 'https://b.example'])
})

t.test('CORS_ORIGINS entries are normalised origins; a non-origin is refused by name', async (t) => {
  const config = loadConfig({ JWT_SECRET: TEST_JWT_SECRET, CORS_ORIGINS: 'HTTPS://App.Example:443/, http://b.example:8080' })
  t.same(config.corsOrigins, ['https://app.example', 'http://b.example:8080'])
  t.throws(() => loadConfig({ JWT_SECRET: TEST_JWT_SECRET, CORS_ORIGINS: 'app.example' }), /CORS_ORIGINS/)
})

t.test('TRUST_PROXY: false, a number of hops, or proxy addresses and CIDRs; never true', async (t) => {
  const trusted = (value: string): unknown => loadConfig({ JWT_SECRET: TEST_JWT_SECRET, TRUST_PROXY: value }).trustedProxies
  t.equal(trusted('false'), false, 'false trusts no proxy')
  t.equal(trusted('1'), 1, 'a number of hops')
  t.same(trusted('10.0.0.0/8, 127.0.0.1,::1'), ['10.0.0.0/8', '127.0.0.1', '::1'], 'a list of addresses and CIDRs')
  t.same(trusted('loopback'), ['loopback'], 'the named ranges Fastify knows')
  const refusedTrue = configErrorOf({ JWT_SECRET: TEST_JWT_SECRET, TRUST_PROXY: 'true' })
  t.match(refusedTrue?.message, /TRUST_PROXY=true.*TRUST_PROXY=1.*TRUST_PROXY=10\.0\.0\.0\/8,127\.0\.0\.1/,
    'true is refused, saying what to write instead')
  for (const bad of ['banana', '10.0.0.0/33', '300.1.1.1', 'yes']) {
    t.match(configErrorOf({ JWT_SECRET: TEST_JWT_SECRET, TRUST_PROXY: bad })?.message, /TRUST_PROXY/, `"${bad}" is refused by name`)
  }
})

t.test('the server refuses to boot with a bad variable and says which', async (t) => {
  const startedAt = Date.now()
  const child = spawn(process.execPath, [SERVER_ENTRY], {
    cwd: PROJECT_DIR,
    env: {
      PATH: process.env.PATH ?? '',
      SESSION_TTL: 'abc',
      JWT_SECRET: TEST_JWT_SECRET,
      DATA_DIR: tempDir(t),
      // Should it boot anyway, it must not collide with anything or reach a real Redis.
      PORT: '0',
      REDIS_URL: 'redis://127.0.0.1:1',
      LOG_LEVEL: 'silent'
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: SERVER_EXIT_TIMEOUT_MS,
    killSignal: 'SIGKILL'
  })
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code, signal) => resolve([code, signal]))
  })
  const elapsedMs = Date.now() - startedAt

  t.equal(signal, null, 'exits by itself')
  t.ok(code !== null && code !== 0, `a non-zero exit code (${String(code)})`)
  t.match(stderr, 'SESSION_TTL', `stderr names SESSION_TTL: ${stderr.trim()}`)
  t.ok(elapsedMs < QUICK_EXIT_MS, `exits quickly (${elapsedMs} ms)`)
})
