import { connect, type Socket } from 'node:net'
import { once } from 'node:events'

// Writes batches of Redis commands as RESP text and resolves each batch when its replies
// are in. The fill sends millions of commands; a general client spends ~20 µs of JavaScript
// on each (command objects, promises), this a few, leaving Redis as the limit. It accepts
// only commands that answer with one line (integers, OK), which is all the fill sends.

interface PendingBatch {
  replies: number
  resolve: () => void
  reject: (error: Error) => void
}

export class RawPipeline {
  private readonly pending: PendingBatch[] = []
  private partialLine = ''
  private failure?: Error

  private constructor (private readonly socket: Socket) {
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => this.countReplies(chunk))
    socket.on('error', (error) => this.fail(error))
  }

  static async open (redisUrl: string): Promise<RawPipeline> {
    const { hostname, port } = new URL(redisUrl)
    const socket = connect(Number(port || 6379), hostname)
    await once(socket, 'connect')
    return new RawPipeline(socket)
  }

  // Batches may overlap: the next one can be built and sent while Redis works on this one.
  async send (commands: string[][]): Promise<void> {
    if (this.failure !== undefined) throw this.failure
    if (commands.length === 0) return
    const done = new Promise<void>((resolve, reject) => this.pending.push({ replies: commands.length, resolve, reject }))
    this.socket.write(commands.map(encode).join(''), 'latin1')
    await done
  }

  close (): void {
    this.socket.destroy()
  }

  private countReplies (chunk: string): void {
    const lines = (this.partialLine + chunk).split('\r\n')
    this.partialLine = lines.pop() ?? ''
    for (const line of lines) {
      if (line.startsWith('-')) this.fail(new Error(`Redis refused a fill command: ${line.slice(1)}`))
      else if (!line.startsWith(':') && !line.startsWith('+')) this.fail(new Error(`unexpected reply during the fill: ${line}`))
      const batch = this.pending[0]
      if (batch === undefined) continue
      if (--batch.replies === 0) {
        this.pending.shift()
        batch.resolve()
      }
    }
  }

  private fail (error: Error): void {
    this.failure ??= error
    for (const batch of this.pending.splice(0)) batch.reject(error)
  }
}

function encode (args: string[]): string {
  let command = `*${args.length}\r\n`
  for (const arg of args) command += `$${Buffer.byteLength(arg, 'latin1')}\r\n${arg}\r\n`
  return command
}
