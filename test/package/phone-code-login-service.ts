import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import type { TestContext } from '../helpers/build-app.js'
import { stopAtTeardown } from '../helpers/stop-at-teardown.js'
import { toolEnv } from '../helpers/tool-env.js'

// examples/phone-code-login as a user runs it (`npm start`: Node runs its TypeScript as it is),
// from a project that installed the packed plugin, in development mode: its sign-in codes are
// read from its log, as a developer reads them.

// Liveness bounds, not expectations: a loaded machine has taken seconds to start a process.
const START_LIMIT_MS = 60_000
const CODE_LIMIT_MS = 10_000
const OUTPUT_TAIL_CHARS = 8000
const LISTENING = /^Server listening at (http:\/\/127\.0\.0\.1:[0-9]+)$/

interface LogLine { msg?: string, phone?: string, code?: string }

export interface PhoneCodeLoginService {
  origin: string
  // The next code the service logs for `phone` (once it has answered POST /code).
  nextCode: (phone: string) => Promise<string>
  // The tail of what it printed, for a failure's message.
  output: () => string
}

export async function startPhoneCodeLoginService (t: TestContext, exampleDir: string, env: Record<string, string>): Promise<PhoneCodeLoginService> {
  const child = spawn(process.execPath, [join('src', 'server.ts')], {
    cwd: exampleDir,
    // Nothing of the test's own environment (REDIS_URL, DATABASE_URL) reaches it unasked; its
    // files are the project's, outside the repository: no coverage (tool-env.ts).
    env: toolEnv({ PATH: process.env.PATH ?? '', NODE_ENV: 'development', HOST: '127.0.0.1', PORT: '0', ...env }),
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const exited = stopAtTeardown(t, child)

  let output = ''
  child.stderr.on('data', (chunk: Buffer) => { output = (output + chunk.toString()).slice(-OUTPUT_TAIL_CHARS) })
  const codes = new Map<string, string[]>()
  const waiting = new Map<string, () => void>()
  let listening: (origin: string) => void = () => {}
  const started = new Promise<string>((resolve) => { listening = resolve })
  createInterface({ input: child.stdout }).on('line', (line) => {
    output = (output + line + '\n').slice(-OUTPUT_TAIL_CHARS)
    let parsed: LogLine
    try {
      parsed = JSON.parse(line) as LogLine
    } catch {
      return
    }
    const origin = LISTENING.exec(parsed.msg ?? '')?.[1]
    if (origin !== undefined) listening(origin)
    if (parsed.phone === undefined || parsed.code === undefined) return
    codes.set(parsed.phone, [...codes.get(parsed.phone) ?? [], parsed.code])
    waiting.get(parsed.phone)?.()
  })

  // Rejects when the process ends: before the test is over, that is a crash.
  const exitedEarly = exited.then(() => { throw new Error(`the example exited:\n${output}`) })
  exitedEarly.catch(() => {})
  async function within<T> (what: string, limitMs: number, promise: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`the example did not ${what} within ${limitMs} ms:\n${output}`)), limitMs)
    })
    try {
      return await Promise.race([promise, late, exitedEarly])
    } finally {
      clearTimeout(timer)
    }
  }

  async function nextCode (phone: string): Promise<string> {
    const logged = codes.get(phone)?.shift()
    if (logged !== undefined) return logged
    await within('log a code', CODE_LIMIT_MS, new Promise<void>((resolve) => waiting.set(phone, resolve)))
    waiting.delete(phone)
    return await nextCode(phone)
  }

  const origin = await within('start', START_LIMIT_MS, started)
  return { origin, nextCode, output: () => output }
}
