import { randomBytes } from 'node:crypto'
import { connect, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Redis } from 'ioredis'

const ANSWER_TIMEOUT_MS = 10_000
const POLL_INTERVAL_MS = 10

export interface MonitoredCommand {
  // 'lua' for a command a script ran, else the address of the client that sent it.
  source: string
  args: string[]
}

const SIMPLE_ESCAPES: Record<string, number> = { '\\': 0x5c, '"': 0x22, n: 0x0a, r: 0x0d, t: 0x09, a: 0x07, b: 0x08 }

// One argument as Redis quotes it in MONITOR (sdscatrepr): `\"`, `\\`, `\n`... and `\xHH` for
// any other byte that is not printable. Returns the argument and where the next one starts.
function unquote (line: string, start: number): [string, number] {
  const bytes: number[] = []
  let i = start + 1
  while (line[i] !== '"') {
    const char = line[i] ?? ''
    if (char === '') throw new Error(`unterminated argument in MONITOR line: ${line}`)
    if (char !== '\\') {
      bytes.push(...Buffer.from(char, 'latin1'))
      i++
    } else if (line[i + 1] === 'x') {
      bytes.push(parseInt(line.slice(i + 2, i + 4), 16))
      i += 4
    } else {
      bytes.push(SIMPLE_ESCAPES[line[i + 1] ?? ''] ?? 0)
      i += 2
    }
  }
  return [Buffer.from(bytes).toString('utf8'), i + 2]
}

// `1700000000.000001 [0 127.0.0.1:5555] "GET" "key"`, or `[0 lua]` for a script's command.
export function parseMonitorLine (line: string): MonitoredCommand | undefined {
  const header = /^\d+\.\d+ \[\d+ ([^\]]+)\] /.exec(line)
  if (header === null) return undefined
  const args: string[] = []
  let i = header[0].length
  while (i < line.length) {
    const [arg, next] = unquote(line, i)
    args.push(arg)
    i = next
  }
  return { source: header[1] ?? '', args }
}

// Every command one redis-server runs, in the order it runs them, as MONITOR reports them. Read
// over a socket of its own, not ioredis' monitor mode, which splits arguments on '" "' and so
// garbles the Lua source an EVAL carries.
export class RedisMonitor {
  readonly commands: MonitoredCommand[] = []
  private pending = ''
  private monitoring = false

  private constructor (private readonly socket: Socket) {
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => this.read(chunk))
  }

  static async start (port: number): Promise<RedisMonitor> {
    const socket = connect(port, '127.0.0.1')
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject))
    const monitor = new RedisMonitor(socket)
    socket.write('MONITOR\r\n')
    await monitor.until(() => monitor.monitoring)
    return monitor
  }

  // Resolves once every command Redis ran before this call has been reported: a marker sent
  // through `client` now is reported after them.
  async drain (client: Redis): Promise<void> {
    const marker = `monitor-marker-${randomBytes(6).toString('hex')}`
    await client.echo(marker)
    await this.until(() => this.commands.some((command) => command.args[0]?.toUpperCase() === 'ECHO' && command.args[1] === marker))
  }

  stop (): void {
    this.socket.destroy()
  }

  private async until (condition: () => boolean): Promise<void> {
    const deadline = Date.now() + ANSWER_TIMEOUT_MS
    while (!condition()) {
      if (Date.now() > deadline) throw new Error('MONITOR did not answer in time')
      await sleep(POLL_INTERVAL_MS)
    }
  }

  // The first reply is MONITOR's +OK, then one simple string, `+<line>\r\n`, per command; a CR
  // or LF inside an argument is escaped.
  private read (chunk: string): void {
    const lines = (this.pending + chunk).split('\r\n')
    this.pending = lines.pop() ?? ''
    for (const line of lines) {
      const command = parseMonitorLine(line.slice(1))
      if (command !== undefined) this.commands.push(command)
      else if (line === '+OK') this.monitoring = true
    }
  }
}
