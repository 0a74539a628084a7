import type { Redis } from 'ioredis'
import { performance } from 'node:perf_hooks'
import { fillSessions, type FillProgress } from './fill.js'
import { usedMemory } from './redis-stats.js'
import { summariseThroughput, type SessionCountResult } from './results.js'
import type { BenchSettings } from './settings.js'
import { logInOurSessions, type BenchContext, type OurServers } from './setup.js'
import { measureInterleaved, type Target } from './throughput.js'

// Does the auth route slow down when Redis holds a million sessions instead of a thousand?
// The loaded sessions are logged in on a flushed Redis, filler sessions top it up to the
// small count, the route is measured, then filled to the large count and measured again.
// The filler has a key prefix of its own, so writing it sends no invalidations to the
// servers under test (it changes nothing they have cached).

const FILLER_PREFIX = 'bench-filler:'
// Far above the user ids of the bench's own accounts.
const FILLER_FIRST_USER_ID = 10_000_000

export async function measureSessionCounts (
  context: BenchContext, ours: OurServers, redis: Redis, settings: BenchSettings
): Promise<SessionCountResult> {
  await redis.flushall()
  const targets: Target[] = [
    { id: 'on', label: 'near-cache on', url: `${ours.on.url}/auth/me`, pid: ours.on.pid, sessions: await logInOurSessions(context, ours.on) },
    { id: 'off', label: 'NEAR_CACHE=off', url: `${ours.off.url}/auth/me`, pid: ours.off.pid, sessions: await logInOurSessions(context, ours.off) }
  ]
  const loggedIn = targets.reduce((sum, target) => sum + (target.sessions?.length ?? 0), 0)
  const filled: FillProgress = { written: 0 }
  const fillOptions = { keyPrefix: FILLER_PREFIX, firstUserId: FILLER_FIRST_USER_ID, batchSize: settings.fillBatchSize }
  await fillSessions(context.redisUrl, Math.max(0, settings.smallSessionCount - loggedIn), fillOptions, filled)
  const log = (line: string): void => context.progress(`${settings.smallSessionCount.toLocaleString('en-US')} sessions: ${line}`)
  const small = await measureInterleaved(targets, settings, redis, log)

  const memoryBefore = await usedMemory(redis)
  const started = performance.now()
  const largeFill = settings.largeSessionCount - settings.smallSessionCount
  context.progress(`filling ${largeFill.toLocaleString('en-US')} more sessions`)
  await fillSessions(context.redisUrl, largeFill, fillOptions, filled)
  const fillSeconds = (performance.now() - started) / 1000
  const usedMemoryPerFilledSession = (await usedMemory(redis) - memoryBefore) / largeFill
  context.progress(`filled in ${fillSeconds.toFixed(1)} s`)
  const large = await measureInterleaved(targets, settings, redis, (line) => context.progress(`${settings.largeSessionCount.toLocaleString('en-US')} sessions: ${line}`))
  await redis.flushall()

  const smallRows = summariseThroughput(small)
  const largeRows = summariseThroughput(large)
  return {
    smallCount: settings.smallSessionCount,
    largeCount: settings.largeSessionCount,
    fillSeconds,
    usedMemoryPerFilledSession,
    rows: (['on', 'off'] as const).map((mode) => {
      const atSmall = smallRows.find((row) => row.id === mode)
      const atLarge = largeRows.find((row) => row.id === mode)
      if (atSmall === undefined || atLarge === undefined) throw new Error(`no measurement of near-cache ${mode}`)
      return { nearCache: mode, small: atSmall, large: atLarge }
    })
  }
}
