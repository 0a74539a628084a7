import { spawn } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { createConnection } from 'node:net'
import { resolve as resolvePath } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { startServer } from '../server.js'
import { ConfigError, readEnv } from '../src/config/load-config.js'
import { hasCommand, installRedisPackage } from './redis-package.js'

// README command 1: run the server on a developer's machine. When REDIS_URL is not set and
// nothing answers on the default port, start a private redis-server (installing Debian's
// package if the binary is missing) with its data under DATA_DIR. Never in production.

const DEFAULT_REDIS_HOST = '127.0.0.1'
const DEFAULT_REDIS_PORT = 6379
const PROBE_TIMEOUT_MS = 500
const REDIS_START_LIMIT_MS = 10_000

async function redisAnswers (host: string, port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = createConnection({ host, port })
    const done = (answer: boolean): void => {
      socket.destroy()
      resolve(answer)
    }
    socket.setTimeout(PROBE_TIMEOUT_MS, () => done(false))
    socket.once('error', () => done(false))
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')))
  })
}

async function startPrivateRedis (dataDir: string): Promise<void> {
  const dir = resolvePath(dataDir, 'redis')
  mkdirSync(dir, { recursive: true })
  const redis = spawn('redis-server', [
    '--port', String(DEFAULT_REDIS_PORT), '--bind', DEFAULT_REDIS_HOST,
    '--dir', dir, '--appendonly', 'yes', '--save', ''
  ], { stdio: ['ignore', 'ignore', 'inherit'] })
  // Redis goes down with the server, not before it: the server's shutdown still needs it.
  redis.unref()
  process.once('exit', () => redis.kill('SIGTERM'))
  const deadline = Date.now() + REDIS_START_LIMIT_MS
  while (!await redisAnswers(DEFAULT_REDIS_HOST, DEFAULT_REDIS_PORT)) {
    if (redis.exitCode !== null || Date.now() > deadline) throw new Error('the private redis-server did not start')
    await sleep(100)
  }
  console.log(`Started a private redis-server (pid ${redis.pid}) on ${DEFAULT_REDIS_HOST}:${DEFAULT_REDIS_PORT} with its data in ${dir}; it stops with the server.`)
}

async function ensureRedis (): Promise<void> {
  const env = readEnv(process.env)
  // An explicit REDIS_URL is the deployment's choice; production never gets a private Redis.
  if (process.env.REDIS_URL !== undefined && process.env.REDIS_URL !== '') return
  if (env.NODE_ENV === 'production') return
  if (await redisAnswers(DEFAULT_REDIS_HOST, DEFAULT_REDIS_PORT)) return
  if (!hasCommand('redis-server')) installRedisPackage()
  // Installing the package may have started Debian's own service.
  if (await redisAnswers(DEFAULT_REDIS_HOST, DEFAULT_REDIS_PORT)) {
    console.log(`Using the redis-server that the package started on ${DEFAULT_REDIS_HOST}:${DEFAULT_REDIS_PORT}.`)
    return
  }
  await startPrivateRedis(env.DATA_DIR)
}

try {
  await ensureRedis()
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : `Cannot provide Redis: ${(error as Error).message}`)
  process.exit(1)
}
await startServer()
