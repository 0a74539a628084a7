import { spawn } from 'node:child_process'
import { mkdirSync, readFileSync } from 'node:fs'
import { createConnection } from 'node:net'
import { resolve as resolvePath } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { AppConfig } from '../src/config/load-config.js'
import { hasCommand, installRedisPackage } from './redis-package.js'

// `npm run dev`'s Redis: when REDIS_URL is not set and nothing answers on the default port, a
// private redis-server (installing Debian's package if the binary is missing) with its data
// under DATA_DIR. It belongs to the runner, not to the server: server restarts keep it, and it
// stops after the server when the runner stops. Never in production.

const DEFAULT_REDIS_HOST = '127.0.0.1'
const DEFAULT_REDIS_PORT = 6379
const PROBE_TIMEOUT_MS = 500
const POLL_MS = 100
const REDIS_START_LIMIT_MS = 10_000
const REDIS_STOP_LIMIT_MS = 10_000
const PID_FILE = 'redis-server.pid'

export interface RedisProvision {
  // Set when this runner owns the redis-server: it started it, or took over one a runner left.
  startedPid?: number
  dataDir?: string
  stop: () => Promise<void>
}

const NOTHING_TO_STOP: RedisProvision = { stop: async () => {} }

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

function isRunning (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

// The redis-server a runner started and could not stop (it was killed): its pid file names it.
function leftRunning (dir: string): number | undefined {
  try {
    const pid = Number(readFileSync(resolvePath(dir, PID_FILE), 'utf8').trim())
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    return command.startsWith('redis-server') ? pid : undefined
  } catch {
    return undefined
  }
}

function owned (pid: number, dir: string): RedisProvision {
  return {
    startedPid: pid,
    dataDir: dir,
    stop: async () => {
      if (!isRunning(pid)) return
      process.kill(pid, 'SIGTERM')
      const deadline = Date.now() + REDIS_STOP_LIMIT_MS
      while (isRunning(pid) && Date.now() < deadline) await sleep(POLL_MS)
    }
  }
}

async function startPrivateRedis (dir: string): Promise<RedisProvision> {
  mkdirSync(dir, { recursive: true })
  const redis = spawn('redis-server', [
    '--port', String(DEFAULT_REDIS_PORT), '--bind', DEFAULT_REDIS_HOST,
    '--dir', dir, '--appendonly', 'yes', '--save', '', '--pidfile', resolvePath(dir, PID_FILE)
  ], {
    // Its own process group: Ctrl-C must not stop Redis before the server has finished with it.
    detached: true,
    stdio: ['ignore', 'ignore', 'inherit']
  })
  redis.unref()
  const deadline = Date.now() + REDIS_START_LIMIT_MS
  while (!await redisAnswers(DEFAULT_REDIS_HOST, DEFAULT_REDIS_PORT)) {
    if (redis.exitCode !== null || Date.now() > deadline) throw new Error('the private redis-server did not start')
    await sleep(POLL_MS)
  }
  if (redis.pid === undefined) throw new Error('the private redis-server did not start')
  return owned(redis.pid, dir)
}

export async function ensureRedis (config: AppConfig, say: (line: string) => void): Promise<RedisProvision> {
  // An explicit REDIS_URL (or cluster) is the deployment's choice; production never gets a private Redis.
  if (process.env.REDIS_URL !== undefined || config.REDIS_CLUSTER_NODES !== undefined || config.isProduction) return NOTHING_TO_STOP
  const dir = resolvePath(config.DATA_DIR, 'redis')
  if (await redisAnswers(DEFAULT_REDIS_HOST, DEFAULT_REDIS_PORT)) {
    const pid = leftRunning(dir)
    if (pid === undefined) return NOTHING_TO_STOP
    say(`taking over the redis-server (pid ${pid}) an earlier runner left running`)
    return owned(pid, dir)
  }
  if (!hasCommand('redis-server')) installRedisPackage()
  // Installing the package may have started Debian's own service.
  if (await redisAnswers(DEFAULT_REDIS_HOST, DEFAULT_REDIS_PORT)) {
    say(`using the redis-server that the package started on ${DEFAULT_REDIS_HOST}:${DEFAULT_REDIS_PORT}`)
    return NOTHING_TO_STOP
  }
  return await startPrivateRedis(dir)
}
