import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { openPglite } from '../../src/db/pglite-database.js'

const LOCK_FILE_NAME = 'pglite.lock'
const PGLITE_DIR = 'pglite'
const PARTIAL_DIR = 'pglite.partial'
const MIB = 1024 * 1024
// Creating the database in this process added about 700 MB to it; opening one takes about 50, and
// up to about 250 on a busy machine under coverage (WebAssembly compiled, garbage not yet
// collected). The bound tells the two apart with room on both sides.
const RSS_GROWTH_LIMIT_MIB = 400

function newDataDir (t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'pglite-open-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

t.test('a new database is created outside this process and runs with small memory settings', async (t) => {
  const dataDir = newDataDir(t)
  const rssBefore = process.memoryUsage().rss
  const db = await openPglite(dataDir)
  t.teardown(async () => await db.close())

  const settings = await db.query<{ name: string, setting: string, unit: string | null }>(
    "SELECT name, setting, unit FROM pg_settings WHERE name IN ('shared_buffers', 'max_connections') ORDER BY name")
  t.same(settings, [
    { name: 'max_connections', setting: '5', unit: null },
    // 128 pages of 8 kB: 1 MB.
    { name: 'shared_buffers', setting: '128', unit: '8kB' }
  ], 'PostgreSQL started with the settings of pglite-options.ts, not its server defaults')
  t.ok(existsSync(join(dataDir, PGLITE_DIR, 'PG_VERSION')), 'the database is in DATA_DIR/pglite')
  t.notOk(existsSync(join(dataDir, PARTIAL_DIR)), 'the directory it was made in was renamed into place')
  const growthMib = (process.memoryUsage().rss - rssBefore) / MIB
  t.ok(growthMib < RSS_GROWTH_LIMIT_MIB, `creating and opening it added ${growthMib.toFixed(0)} MiB to this process`)
})

t.test('a creation cut short is started again', async (t) => {
  const dataDir = newDataDir(t)
  mkdirSync(join(dataDir, PARTIAL_DIR))
  writeFileSync(join(dataDir, PARTIAL_DIR, 'PG_VERSION'), '17\n')
  const db = await openPglite(dataDir)
  t.teardown(async () => await db.close())
  t.same(await db.query('SELECT 1 AS one'), [{ one: 1 }], 'the database opens')
  t.notOk(existsSync(join(dataDir, PARTIAL_DIR)), 'nothing of the first attempt is left')
})

t.test('a pglite directory with files but no database is refused, not overwritten', async (t) => {
  const dataDir = newDataDir(t)
  mkdirSync(join(dataDir, PGLITE_DIR))
  writeFileSync(join(dataDir, PGLITE_DIR, 'notes.txt'), 'keep me')
  await t.rejects(openPglite(dataDir), /holds files but no database \(no PG_VERSION\)/, 'the error says what is wrong')
  t.ok(existsSync(join(dataDir, PGLITE_DIR, 'notes.txt')), 'the files are left alone')
  t.notOk(existsSync(join(dataDir, LOCK_FILE_NAME)), 'the data dir is not left locked')
})
