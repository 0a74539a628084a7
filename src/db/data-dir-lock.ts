import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

const LOCK_FILE_NAME = 'pglite.lock'

export class DataDirInUseError extends Error {
  override name = 'DataDirInUseError'
  constructor (readonly dataDir: string, readonly pid: number) {
    super(
      `The embedded database in ${dataDir} is in use (pid ${pid}), ` +
      'most likely the running server. PGlite allows one process only: stop that process, ' +
      'use the admin API of the running server, or point DATABASE_URL at PostgreSQL.'
    )
  }
}

function isRunning (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

// Directories this process holds: its own pid in the lock file does not mean "stale" then.
const heldDataDirs = new Set<string>()

export interface DataDirLock {
  release: () => void
}

// PGlite does not guard its files, and two processes writing them corrupt the database. A PID
// file (rather than a heartbeat lock) gives an exact answer at once, also after a crash.
export function lockDataDir (dataDir: string): DataDirLock {
  const heldKey = resolve(dataDir)
  if (heldDataDirs.has(heldKey)) throw new DataDirInUseError(dataDir, process.pid)
  mkdirSync(dataDir, { recursive: true })
  const path = join(dataDir, LOCK_FILE_NAME)
  try {
    writeFileSync(path, String(process.pid), { flag: 'wx' })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    const holder = Number.parseInt(readFileSync(path, 'utf8'), 10)
    if (Number.isInteger(holder) && holder !== process.pid && isRunning(holder)) {
      throw new DataDirInUseError(dataDir, holder)
    }
    // A stale file from a process that died (or from an earlier run with our pid, as pid 1
    // in a restarted container): take it over.
    writeFileSync(path, String(process.pid))
  }
  heldDataDirs.add(heldKey)
  return {
    release: () => {
      heldDataDirs.delete(heldKey)
      rmSync(path, { force: true })
    }
  }
}
