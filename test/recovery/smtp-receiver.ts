import { SMTPServer } from 'smtp-server'
import type { TestContext } from '../helpers/build-app.js'
import { freePort } from '../helpers/free-port.js'

export interface ReceivedMail {
  // The envelope's sender and recipients, as the client gave them to the server.
  mailFrom: string
  rcptTo: string[]
  // The message as it was sent: headers, a blank line, the body.
  raw: string
}

export interface SmtpReceiver {
  url: string
  mails: ReceivedMail[]
}

// A real SMTP server on a free loopback port that keeps every message it is sent. No TLS and no
// authentication: it stands for the mail relay of a test deployment.
export async function startSmtpReceiver (t: TestContext): Promise<SmtpReceiver> {
  const mails: ReceivedMail[] = []
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData (stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (chunk: Buffer) => chunks.push(chunk))
      stream.on('end', () => {
        const { mailFrom, rcptTo } = session.envelope
        mails.push({
          mailFrom: mailFrom === false ? '' : mailFrom.address,
          rcptTo: rcptTo.map((recipient) => recipient.address),
          raw: Buffer.concat(chunks).toString('utf8')
        })
        callback()
      })
    }
  })
  const port = await freePort()
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  t.teardown(async () => await new Promise<void>((resolve) => server.close(() => resolve())))
  return { url: `smtp://127.0.0.1:${port}`, mails }
}

// A header's value in a raw message (unfolded).
export function headerOf (raw: string, name: string): string | undefined {
  const head = raw.split(/\r?\n\r?\n/)[0] ?? ''
  const unfolded = head.replace(/\r?\n[ \t]+/g, ' ')
  const line = unfolded.split(/\r?\n/).find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))
  return line?.slice(name.length + 1).trim()
}
