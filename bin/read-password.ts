import { stdin, stdout } from 'node:process'
import { text } from 'node:stream/consumers'

const CTRL_C = '\u0003'
const BACKSPACE = ['\u007f', '\b']
const ENTER = ['\r', '\n']

// From a pipe: everything it sends, less the final newline. From a terminal: one line,
// typed without echo, so the password never shows on screen or in the scrollback.
export async function readPassword (prompt: string): Promise<string> {
  if (!stdin.isTTY) return (await text(stdin)).replace(/\r?\n$/, '')
  stdout.write(prompt)
  stdin.setRawMode(true)
  stdin.setEncoding('utf8')
  return await new Promise((resolve, reject) => {
    let password = ''
    const onData = (chunk: string): void => {
      for (const char of chunk) {
        if (char === CTRL_C) {
          finish()
          reject(new Error('cancelled'))
          return
        }
        if (ENTER.includes(char)) {
          finish()
          resolve(password)
          return
        }
        password = BACKSPACE.includes(char) ? password.slice(0, -1) : password + char
      }
    }
    const finish = (): void => {
      stdin.off('data', onData)
      stdin.setRawMode(false)
      stdin.pause()
      stdout.write('\n')
    }
    stdin.on('data', onData)
  })
}
