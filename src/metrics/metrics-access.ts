import { createHash, timingSafeEqual } from 'node:crypto'
import ipaddr from 'ipaddr.js'
import type { AddressRange } from '../config/metrics-allow.js'

// Who may read /metrics. With METRICS_TOKEN, whoever sends it as a bearer token; without it,
// loopback and the METRICS_ALLOW ranges only (with both set, both apply). An address is judged
// as the socket's peer AND as the client Fastify derives under TRUST_PROXY: a forwarded header
// can narrow access, never widen it (docs/metrics.md, "Who may read /metrics").

export interface MetricsAccessSettings {
  // METRICS_TOKEN
  token?: string
  // METRICS_ALLOW, parsed
  allow: readonly AddressRange[]
}

export interface MetricsRequest {
  // The TCP peer (request.socket.remoteAddress): no header changes it.
  peerAddress: string | undefined
  // request.ip: the peer, or with TRUST_PROXY the client a trusted proxy named.
  clientAddress: string
  // Whether the request carries a header a proxy adds (FORWARDING_HEADERS).
  forwarded: boolean
  authorization: string | undefined
}

export type MetricsAccess = 'allowed' | 'address_refused' | 'token_refused'

const BEARER_PATTERN = /^Bearer +(\S+) *$/i

// Headers by which a proxy names the client it relays, or says that it relays at all. A proxy
// on this host that sends any of them (nginx's `X-Real-IP`, a `Via`, only `X-Forwarded-Proto`)
// makes its clients' requests arrive from loopback: such a request is judged as forwarded.
export const FORWARDING_HEADERS = [
  'x-forwarded-for', 'forwarded', 'x-real-ip', 'via', 'x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-port',
  'true-client-ip', 'cf-connecting-ip', 'x-client-ip'
] as const

export function carriesForwardingHeader (headers: Readonly<Record<string, unknown>>): boolean {
  return FORWARDING_HEADERS.some((name) => headers[name] !== undefined)
}

function digest (value: string): Buffer {
  return createHash('sha256').update(value).digest()
}

export function isAllowedAddress (address: string | undefined, ranges: readonly AddressRange[]): boolean {
  if (address === undefined || !ipaddr.isValid(address)) return false
  const parsed = ipaddr.process(address)
  if (parsed.range() === 'loopback') return true
  return ranges.some(([network, bits]) => network.kind() === parsed.kind() && parsed.match(network, bits))
}

export class MetricsAccessRule {
  private readonly tokenDigest: Buffer | undefined
  private readonly checksAddress: boolean

  constructor (private readonly settings: MetricsAccessSettings) {
    this.tokenDigest = settings.token === undefined ? undefined : digest(settings.token)
    this.checksAddress = this.tokenDigest === undefined || settings.allow.length > 0
  }

  // Loopback and nothing else: the default with neither a token nor an allow list.
  get isLoopbackOnly (): boolean {
    return this.tokenDigest === undefined && this.settings.allow.length === 0
  }

  judge (request: MetricsRequest): MetricsAccess {
    if (this.checksAddress && !this.addressAllowed(request)) return 'address_refused'
    if (this.tokenDigest !== undefined && !tokenMatches(request.authorization, this.tokenDigest)) return 'token_refused'
    return 'allowed'
  }

  // A forwarded request whose client Fastify did not take from the header (the peer is no
  // trusted proxy) was relayed by something we know nothing of, such as a reverse proxy on this
  // host that makes every client look like loopback: refused.
  private addressAllowed ({ peerAddress, clientAddress, forwarded }: MetricsRequest): boolean {
    if (forwarded && clientAddress === peerAddress) return false
    const { allow } = this.settings
    return isAllowedAddress(peerAddress, allow) && isAllowedAddress(clientAddress, allow)
  }
}

// Digests of equal length, compared in constant time: the answer's timing tells nothing of the token.
function tokenMatches (authorization: string | undefined, expected: Buffer): boolean {
  const presented = BEARER_PATTERN.exec(authorization ?? '')?.[1]
  return presented !== undefined && timingSafeEqual(digest(presented), expected)
}
