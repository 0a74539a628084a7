import { Writable } from 'node:stream'

// A log stream for buildTestApp's `logStream`: keeps what the app wrote.
export class LogCollector extends Writable {
  private readonly chunks: string[] = []

  override _write (chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.chunks.push(chunk.toString())
    callback()
  }

  get text (): string {
    return this.chunks.join('')
  }

  // Each line parsed as pino wrote it; a test names the fields it reads.
  lines<Line = Record<string, unknown>> (): Line[] {
    return this.text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Line)
  }
}
