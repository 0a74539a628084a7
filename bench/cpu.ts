import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { eachNode, type RedisNodes } from './redis-stats.js'

// CPU time spent by a server process and by Redis. On a machine shared with other work,
// req/s moves with whatever else runs; the CPU a request costs moves far less, so the
// report gives both.

function clockTicksPerSecond (): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
  } catch {
    return 100
  }
}

const TICKS_PER_SECOND = clockTicksPerSecond()

// utime + stime from /proc/<pid>/stat (Linux); NaN elsewhere.
export function processCpuSeconds (pid: number): number {
  return cpuSecondsIn(`/proc/${pid}/stat`)
}

// The same for the process' main thread alone (its JavaScript, without libuv's pool, where
// argon2 hashes): /proc/<pid>/task/<pid>/stat.
export function mainThreadCpuSeconds (pid: number): number {
  return cpuSecondsIn(`/proc/${pid}/task/${pid}/stat`)
}

function cpuSecondsIn (statFile: string): number {
  try {
    const stat = readFileSync(statFile, 'utf8')
    // The command name may contain spaces; the fields after it are space-separated, starting with the state.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND
  } catch {
    return Number.NaN
  }
}

export async function redisCpuSeconds (redis: RedisNodes): Promise<number> {
  let seconds = 0
  for (const node of eachNode(redis)) {
    const info = await node.info('cpu')
    const field = (name: string): number => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1])
    seconds += field('used_cpu_user') + field('used_cpu_sys')
  }
  return seconds
}
