import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { openPglite } from '../../src/db/pglite-database.js'

function newDataDir (t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'pglite-open-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

t.test('the embedded PostgreSQL runs with small memory settings', async (t) => {
  const db = await openPglite(newDataDir(t))
  t.teardown(async () => await db.close())

  const settings = await db.query<{ name: string, setting: string, unit: string | null }>(
    "SELECT name, setting, unit FROM pg_settings WHERE name IN ('shared_buffers', 'max_connections') ORDER BY name")
  t.same(settings, [
    { name: 'max_connections', setting: '5', unit: null },
    // 512 pages of 8 kB: 4 MB.
    { name: 'shared_buffers', setting: '512', unit: '8kB' }
  ], 'PostgreSQL started with the settings of pglite-options.ts, not its server defaults')
})
