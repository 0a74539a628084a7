import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'

export const PROJECT_DIR = fileURLToPath(new URL('../../../', import.meta.url))
export const ADMIN_CLI = join(PROJECT_DIR, 'dist', 'bin', 'admin.js')
// Session commands must not need a database: this one refuses every connection.
export const UNREACHABLE_DATABASE_URL = 'postgres://x@127.0.0.1:1/none'
// Opening a fresh PGlite and hashing a password take seconds, and on a machine whose cores are
// busy with other work (a parallel test run) half a minute and more; a hang takes forever.
export const CLI_TIMEOUT_MS = 90_000
// Generous for a loaded machine, yet far below a hang or a retry loop (killed at twice this).
export const QUICK_FAILURE_MS = 20_000

export interface CliResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  elapsedMs: number
}

// The CLI as an operator runs it: its own process, only the environment it is given, the password piped in.
export async function runCli (args: string[], env: Record<string, string>, input = '', timeoutMs = CLI_TIMEOUT_MS): Promise<CliResult> {
  const startedAt = Date.now()
  const child = spawn(process.execPath, [ADMIN_CLI, ...args], {
    cwd: PROJECT_DIR,
    env: { PATH: process.env.PATH ?? '', ...env },
    timeout: timeoutMs,
    killSignal: 'SIGKILL'
  })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  child.stdin.end(input)
  return await new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr, elapsedMs: Date.now() - startedAt }))
  })
}

// What a failed exit-code assertion shows: the code and whatever the CLI said on stderr.
export function exitStatus (result: CliResult): string {
  return `exit code ${String(result.code)}${result.stderr === '' ? '' : `, stderr: ${result.stderr.trim()}`}`
}

export function tempDir (t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'auth-cli-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}
