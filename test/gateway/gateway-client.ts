import type { FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import { request } from 'undici'
import { buildTestApp, type BuildOptions } from '../helpers/build-app.js'
import { reachablePostgresUrl } from '../helpers/database.js'
import type { LoggedIn } from '../helpers/sessions.js'
import { startEchoUpstream, type EchoUpstream, type UpstreamView } from './echo-upstream.js'

// The gateway reaches the auth server from here; the server trusts its X-Forwarded-Proto and -Host.
export const GATEWAY_ADDRESS = '127.0.0.1'

export interface Gateway {
  app: FastifyInstance
  // The gateway in front of the upstream, e.g. http://127.0.0.1:40123.
  origin: string
  upstream: EchoUpstream
}

export interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

export interface ErrorBody {
  code: number
  errorCode: string
  info: string
  reason?: string
}

// Starts a gateway process in front of the two ports: its origin.
export type GatewayStarter = (t: Test, ports: { authPort: number, appPort: number }) => Promise<string>

// The real auth server on a real port, the echo service, and the gateway in front of both.
export async function startGateway (t: Test, startProcess: GatewayStarter, options: BuildOptions = {}): Promise<Gateway> {
  const { app } = await buildTestApp(t, {
    databaseUrl: await reachablePostgresUrl(),
    ...options,
    env: { TRUST_PROXY: GATEWAY_ADDRESS, ...options.env }
  })
  await app.listen({ port: 0, host: GATEWAY_ADDRESS })
  const upstream = await startEchoUpstream(t)
  const origin = await startProcess(t, { authPort: portOf(app), appPort: upstream.port })
  return { app, origin, upstream }
}

function portOf (app: FastifyInstance): number {
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('the app is not listening on a port')
  return address.port
}

export async function send (gateway: Gateway, method: string, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await request(`${gateway.origin}${path}`, { method, headers, body: method === 'GET' ? undefined : '{}' })
  return { status: res.statusCode, headers: res.headers, body: await res.body.text() }
}

export function cookieOf (session: LoggedIn, name: string): string {
  const cookie = session.response.cookies.find((c) => c.name === name)
  if (cookie === undefined) throw new Error(`no ${name} cookie`)
  return cookie.value
}

export function setCookies (answer: Answer): string[] {
  const value = answer.headers['set-cookie']
  if (value === undefined) return []
  return Array.isArray(value) ? value : [value]
}

// The service saw the request with the session's identity, from the check, and no header name
// with an underscore (no X_User_Type of the client's).
export function assertReached (t: Test, answer: Answer, session: LoggedIn, method: string, path: string): void {
  t.equal(answer.status, 200, `${method} ${path} reaches the service (${answer.body})`)
  if (answer.status !== 200) return
  t.strictSame(JSON.parse(answer.body) as UpstreamView, {
    method, path, userId: String(session.userId), userType: 'user', sessionId: session.sessionId
  }, 'the service sees the identity of the session, from the check, and nothing else about identity')
}

export function assertRefused (t: Test, answer: Answer, status: number, errorCode: string, reason?: string): ErrorBody {
  t.equal(answer.status, status, `status ${status} (${answer.body})`)
  t.match(answer.headers['content-type'], /^application\/json/, 'a JSON answer')
  const body = JSON.parse(answer.body) as ErrorBody
  t.equal(body.code, 0)
  t.equal(body.errorCode, errorCode)
  t.equal(body.reason, reason)
  t.type(body.info, 'string')
  return body
}

// Refusals must stop at the gateway: the service sees no request.
export async function assertStoppedAtGateway (t: Test, gateway: Gateway, send: () => Promise<Answer>): Promise<Answer> {
  const before = gateway.upstream.seen.length
  const answer = await send()
  t.equal(gateway.upstream.seen.length, before, 'the service is not called')
  return answer
}

// A client's own identity headers, hyphenated: the gateway must replace every one.
export const FORGED_IDENTITY = { 'x-user-id': '1', 'x-user-type': 'admin', 'x-session-id': 'forged' }
// The same spelled with underscores, which CGI-style stacks read as the hyphenated ones.
export const UNDERSCORE_IDENTITY = { X_User_Id: '999', X_User_Type: 'admin', X_Session_Id: 'forged', 'X-User_Type': 'admin' }
