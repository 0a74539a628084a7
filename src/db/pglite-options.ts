import { PGlite } from '@electric-sql/pglite'
import { setFlagsFromString } from 'node:v8'

// PostgreSQL's memory settings inside PGlite. Its defaults are a server's (128 MB of page cache,
// room for 100 connections), and PGlite allocates and zeroes that shared memory in its WASM
// memory at start, which never shrinks. PGlite runs one backend in single-user mode, and the
// tables here are small; a page missing from the cache is read from the files under DATA_DIR,
// which the OS caches, for a few microseconds next to a login's tens of milliseconds of argon2.
// 1 MB (128 pages) still holds the upper levels of the users table's indexes. The resident part
// of the WASM memory after start, measured: 13.2 MiB with 4 MB, 11.2 with 1 MB, 9.2 with 128 kB
// (PostgreSQL's least).
const POSTGRES_SETTINGS: Record<string, string> = {
  shared_buffers: '1MB',
  // Sizes the process, lock and I/O tables of shared memory; PostgreSQL requires more than
  // its 3 reserved superuser connections, and single-user mode uses one.
  max_connections: '5'
}

const START_PARAMS = [
  ...PGlite.defaultStartParams,
  ...Object.entries(POSTGRES_SETTINGS).flatMap(([name, value]) => ['-c', `${name}=${value}`])
]

// V8 first compiles WASM with its baseline compiler (Liftoff) and recompiles hot functions with
// TurboFan. For PostgreSQL that recompiling costs about 50 MB of resident memory (the code, and
// the compiler's working memory that the C allocator keeps afterwards) and gains nothing
// measurable here: a query's time goes into the round trip through PGlite's JavaScript. The flag
// applies to modules compiled after it is set, in the whole process.
function keepWasmOnBaselineCompiler (): void {
  setFlagsFromString('--liftoff-only')
}

export async function createPglite (dir: string): Promise<PGlite> {
  keepWasmOnBaselineCompiler()
  return await PGlite.create(dir, { startParams: START_PARAMS })
}
