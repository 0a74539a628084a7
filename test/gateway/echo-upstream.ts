import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { TestContext } from '../helpers/build-app.js'

// What the service behind the gateway was told about one request.
export interface UpstreamView {
  method: string
  path: string
  userId?: string
  userType?: string
  sessionId?: string
  // The names of the headers with an underscore that reached the service (lower case); absent
  // when none did.
  underscoreHeaders?: string[]
}

export interface EchoUpstream {
  port: number
  // Every request that reached the service, oldest first.
  readonly seen: UpstreamView[]
}

function single (headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name]
  return Array.isArray(value) ? value.join(', ') : value
}

// Header names as sent: rawHeaders alternates names and values.
function underscoreHeaderNames (rawHeaders: string[]): string[] {
  return rawHeaders.filter((name, i) => i % 2 === 0 && name.includes('_')).map((name) => name.toLowerCase())
}

// The service behind the gateway: answers 200 with what it saw, and remembers it.
export async function startEchoUpstream (t: TestContext): Promise<EchoUpstream> {
  const seen: UpstreamView[] = []
  const server = createServer((request, response) => {
    const view: UpstreamView = {
      method: request.method ?? '',
      path: request.url ?? '',
      userId: single(request.headers, 'x-user-id'),
      userType: single(request.headers, 'x-user-type'),
      sessionId: single(request.headers, 'x-session-id')
    }
    const underscoreHeaders = underscoreHeaderNames(request.rawHeaders)
    if (underscoreHeaders.length > 0) view.underscoreHeaders = underscoreHeaders
    seen.push(view)
    // The body is read to its end, so a request with one is answered like any other.
    request.resume().once('end', () => {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(view))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => {
    const closed = new Promise((resolve) => server.close(resolve))
    // The gateway keeps connections alive: end them, or close waits for them.
    server.closeAllConnections()
    await closed
  })
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('the upstream has no port')
  return { port: address.port, seen }
}
