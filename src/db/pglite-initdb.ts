import { createPglite } from './pglite-options.js'

// Run by openPglite in a child process: creates the embedded database in the directory given
// as the only argument, then exits, handing every byte initdb used back to the OS.
const [dir] = process.argv.slice(2)
if (dir === undefined) throw new Error('usage: pglite-initdb <directory>')
const db = await createPglite(dir)
await db.close()
