import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import { RedisServer } from '../test/helpers/redis-server.js'
import { addCleanup } from './cleanup.js'

// The bench's own redis-server, so that command counts, memory and FLUSHALL concern the
// bench alone; and the few INFO figures read from it.

export interface BenchRedis {
  url: string
  admin: Redis
}

export async function startBenchRedis (): Promise<BenchRedis> {
  const server = await RedisServer.start()
  addCleanup(async () => await server.destroy())
  const admin = new Redis(server.url, { maxRetriesPerRequest: 1 })
  addCleanup(() => admin.disconnect())
  return { url: server.url, admin }
}

function infoFields (info: string): Map<string, string> {
  const fields = new Map<string, string>()
  for (const line of info.split('\r\n')) {
    const colon = line.indexOf(':')
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1))
  }
  return fields
}

export async function redisVersion (redis: Redis): Promise<string> {
  return infoFields(await redis.info('server')).get('redis_version') ?? 'unknown'
}

export async function usedMemory (redis: Redis): Promise<number> {
  return Number(infoFields(await redis.info('memory')).get('used_memory'))
}

// Longer than Redis' cron period (hz 10), in which it moves on a resize of its key dictionaries.
const SETTLE_INTERVAL_MS = 110
const SETTLE_READS = 20

// used_memory once Redis has finished resizing its key dictionaries: while it rehashes, the old
// table and the new one are both allocated (some 8 bytes per key each), which is Redis' passing
// state rather than what the keys cost. Read until two reads a cron period apart agree.
export async function settledUsedMemory (redis: Redis): Promise<number> {
  let previous = await usedMemory(redis)
  for (let read = 1; read < SETTLE_READS; read++) {
    await sleep(SETTLE_INTERVAL_MS)
    const current = await usedMemory(redis)
    if (current === previous) return current
    previous = current
  }
  return previous
}

// One Redis, or every master of a Redis Cluster: their figures are summed.
export type RedisNodes = Redis | readonly Redis[]

export function eachNode (redis: RedisNodes): readonly Redis[] {
  return redis instanceof Redis ? [redis] : redis
}

// Calls per command name. INFO counts commands that Lua scripts run too, one per call.
export type CommandCalls = Map<string, number>

// The bench's own INFO calls are not part of what it measures.
const BENCH_COMMANDS = new Set(['info'])

export async function commandCalls (redis: RedisNodes): Promise<CommandCalls> {
  const calls: CommandCalls = new Map()
  for (const node of eachNode(redis)) {
    for (const [field, value] of infoFields(await node.info('commandstats'))) {
      const name = field.replace(/^cmdstat_/, '')
      const count = /calls=(\d+)/.exec(value)?.[1]
      if (count !== undefined && !BENCH_COMMANDS.has(name)) calls.set(name, (calls.get(name) ?? 0) + Number(count))
    }
  }
  return calls
}

export function addCallsSince (total: CommandCalls, before: CommandCalls, after: CommandCalls): void {
  for (const [name, count] of after) {
    const delta = count - (before.get(name) ?? 0)
    if (delta > 0) total.set(name, (total.get(name) ?? 0) + delta)
  }
}

export function sumCalls (calls: CommandCalls): number {
  let sum = 0
  for (const count of calls.values()) sum += count
  return sum
}
