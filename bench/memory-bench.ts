import { measureSessionMemory } from './memory.js'
import { sessionMemoryTable } from './report.js'
import { memoryPerSessionCheck } from './results.js'
import { runStandalone } from './standalone.js'

// npm run bench:memory: the memory-per-session phase of `npm run bench` alone, printed rather
// than written into BENCHMARKS.md.

await runStandalone(async ({ settings, redis }) => {
  const memory = await measureSessionMemory(redis.url, redis.admin, settings.memorySessions)
  const check = memoryPerSessionCheck(memory)
  return [
    sessionMemoryTable(memory),
    '',
    `${check.target}: required ${check.required}, measured ${check.measured}: ${check.met ? 'met' : 'NOT MET'}`
  ].join('\n')
})
