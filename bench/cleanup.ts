import type { ChildProcess } from 'node:child_process'

// Everything the bench starts must stop with it: on success, on an error and on Ctrl-C.
// Orderly steps (stop servers, drop the database schema) run in reverse order of
// registration; the children are also killed synchronously when the process exits, the
// last chance when something threw past the orderly path.

type CleanupStep = () => Promise<void> | void

const steps: CleanupStep[] = []
const children = new Set<ChildProcess>()
const ORDERLY_CLEANUP_LIMIT_MS = 10_000

export function trackChild (child: ChildProcess): void {
  children.add(child)
  child.once('exit', () => children.delete(child))
}

export function addCleanup (step: CleanupStep): void {
  steps.push(step)
}

let cleaning: Promise<void> | undefined
let interrupted = false

// Called from the normal path and from a signal, possibly both at once: one pass only.
export async function cleanUp (): Promise<void> {
  cleaning ??= runCleanupSteps()
  await cleaning
}

async function runCleanupSteps (): Promise<void> {
  for (let step = steps.pop(); step !== undefined; step = steps.pop()) {
    try {
      await step()
    } catch (error) {
      console.error('cleanup step failed:', error)
    }
  }
}

// After Ctrl-C, the errors of work cut short are expected, not worth printing.
export function wasInterrupted (): boolean {
  return interrupted
}

export function installExitHandlers (): void {
  process.on('exit', () => {
    for (const child of children) child.kill('SIGKILL')
  })
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      interrupted = true
      console.error(`\n${signal}: stopping everything the bench started`)
      const deadline = setTimeout(() => process.exit(130), ORDERLY_CLEANUP_LIMIT_MS)
      void cleanUp().finally(() => {
        clearTimeout(deadline)
        process.exit(130)
      })
    })
  }
}
