import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import type { TestContext } from './build-app.js'

// Long enough for a graceful close (connections drained, Redis and the database closed).
const STOP_GRACE_MS = 10_000

// Stops a child process the test started when the test ends: SIGTERM, as a supervisor would, then
// SIGKILL if it has not exited within the grace. Answers its exit, for waits that must not outlive it.
export function stopAtTeardown (t: TestContext, child: ChildProcess): Promise<unknown[]> {
  const exited = once(child, 'exit')
  t.teardown(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGTERM')
    const killer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS)
    await exited
    clearTimeout(killer)
  })
  return exited
}
