import { performance } from 'node:perf_hooks'
import { fillSessions, type FillProgress } from './fill.js'
import { startBenchRedis, usedMemory, type BenchRedis } from './redis-stats.js'
import { summariseThroughput, type ThroughputRow } from './throughput-rows.js'
import type { BenchSettings } from './settings.js'
import { logInOurSessions, startOurServer, type BenchContext, type OurServers } from './setup.js'
import { median } from './stats.js'
import { measureInterleaved, type Target } from './throughput.js'
import type { NearCacheMode } from './our-server.js'
import type { RunningServer } from './servers.js'

// Does the auth route slow down when Redis holds a million sessions instead of a thousand?
// Two Redis servers side by side, one filled to each count, each with its own pair of our
// servers (near-cache on and off): the four are measured in interleaved rounds, so a slow
// minute of the machine lands on both counts, and the ratio is read round by round.
// The filler has a key prefix of its own, so writing it sends no invalidations to the
// servers under test (it changes nothing they have cached).

export interface SessionCountRow {
  nearCache: NearCacheMode
  small: ThroughputRow
  large: ThroughputRow
  // req/s at the large count ÷ at the small count, per interleaved round, and their median.
  roundRatios: number[]
  ratio: number
}

export interface SessionCountResult {
  smallCount: number
  largeCount: number
  fillSeconds: number
  usedMemoryPerFilledSession: number
  rounds: number
  rows: SessionCountRow[]
}

const FILLER_PREFIX = 'bench-filler:'
// Far above the user ids of the bench's own accounts.
const FILLER_FIRST_USER_ID = 10_000_000
const MODES: NearCacheMode[] = ['on', 'off']

interface CountSide {
  count: number
  redis: BenchRedis
  servers: Record<NearCacheMode, RunningServer>
}

async function startLargeSide (context: BenchContext, count: number): Promise<CountSide> {
  const redis = await startBenchRedis()
  const onLarge = { ...context, redisUrl: redis.url }
  const start = async (mode: NearCacheMode): Promise<RunningServer> =>
    await startOurServer(onLarge, `ours-${mode}-large`, { strategy: 'sliding', nearCache: mode, keyPrefix: `bench-large-${mode}:` })
  return { count, redis, servers: { on: await start('on'), off: await start('off') } }
}

async function targetsOf (context: BenchContext, side: CountSide, batchSize: number): Promise<Target[]> {
  const targets: Target[] = []
  for (const mode of MODES) {
    const server = side.servers[mode]
    targets.push({
      id: `${mode}-${side.count}`,
      label: `${side.count.toLocaleString('en-US')} sessions, near-cache ${mode}`,
      url: `${server.url}/auth/me`,
      pid: server.pid,
      redis: side.redis.admin,
      sessions: await logInOurSessions(context, server)
    })
  }
  const loggedIn = targets.reduce((sum, target) => sum + (target.sessions?.length ?? 0), 0)
  const fillOptions = { keyPrefix: FILLER_PREFIX, firstUserId: FILLER_FIRST_USER_ID, batchSize }
  const filled: FillProgress = { written: 0 }
  await fillSessions(side.redis.url, Math.max(0, side.count - loggedIn), fillOptions, filled)
  return targets
}

export async function measureSessionCounts (
  context: BenchContext, ours: OurServers, mainRedis: BenchRedis, settings: BenchSettings
): Promise<SessionCountResult> {
  await mainRedis.admin.flushall()
  const small: CountSide = { count: settings.smallSessionCount, redis: mainRedis, servers: { on: ours.on, off: ours.off } }
  const large = await startLargeSide(context, settings.largeSessionCount)
  try {
    const smallTargets = await targetsOf(context, small, settings.fillBatchSize)
    const memoryBefore = await usedMemory(large.redis.admin)
    context.progress(`filling ${large.count.toLocaleString('en-US')} sessions`)
    const started = performance.now()
    const largeTargets = await targetsOf(context, large, settings.fillBatchSize)
    const fillSeconds = (performance.now() - started) / 1000
    const usedMemoryPerFilledSession = (await usedMemory(large.redis.admin) - memoryBefore) / large.count
    context.progress(`filled in ${fillSeconds.toFixed(1)} s`)

    const measurements = await measureInterleaved([...smallTargets, ...largeTargets], settings, mainRedis.admin,
      (line) => context.progress(`session counts: ${line}`), settings.sessionCountRounds)
    const rows = summariseThroughput(measurements)
    return {
      smallCount: small.count,
      largeCount: large.count,
      fillSeconds,
      usedMemoryPerFilledSession,
      rounds: settings.sessionCountRounds,
      rows: MODES.map((mode) => {
        const atSmall = rows.find((row) => row.id === `${mode}-${small.count}`)
        const atLarge = rows.find((row) => row.id === `${mode}-${large.count}`)
        if (atSmall === undefined || atLarge === undefined) throw new Error(`no measurement of near-cache ${mode}`)
        // Round by round: both counts were measured within seconds of each other.
        const roundRatios = atLarge.roundsRps.map((rps, round) => rps / (atSmall.roundsRps[round] ?? Number.NaN))
        return { nearCache: mode, small: atSmall, large: atLarge, roundRatios, ratio: median(roundRatios) }
      })
    }
  } finally {
    await Promise.all([mainRedis, large.redis].map(async (side) => await side.admin.flushall()))
    await Promise.all(MODES.map(async (mode) => await large.servers[mode].stop()))
  }
}
