import ipaddr from 'ipaddr.js'

// Which hops' X-Forwarded-For entries Fastify may believe: none, the nearest N, or the listed
// proxies. Never "all": the leftmost entry is whatever the client wrote.
export type TrustedProxies = false | number | string[]

// The names proxy-addr (Fastify's resolver) accepts for its built-in ranges.
const RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal'])
const HOP_COUNT_PATTERN = /^[0-9]+$/

function isAddressOrCidr (entry: string): boolean {
  if (RANGE_NAMES.has(entry)) return true
  if (!entry.includes('/')) return ipaddr.isValid(entry)
  try {
    ipaddr.parseCIDR(entry)
    return true
  } catch {
    return false
  }
}

// Returns an error message naming what to write instead, or the parsed value.
export function parseTrustProxy (value: string): TrustedProxies | { error: string } {
  const setting = value.trim()
  if (setting === 'false' || setting === '0') return false
  if (setting === 'true') {
    return {
      error: 'TRUST_PROXY=true would let any client choose its own IP (the leftmost X-Forwarded-For entry). ' +
        'Write the number of proxies in front of the server (TRUST_PROXY=1) or their addresses and CIDRs ' +
        '(TRUST_PROXY=10.0.0.0/8,127.0.0.1)'
    }
  }
  if (HOP_COUNT_PATTERN.test(setting)) return Number(setting)
  const entries = setting.split(',').map((entry) => entry.trim()).filter(Boolean)
  const invalid = entries.find((entry) => !isAddressOrCidr(entry))
  if (entries.length === 0 || invalid !== undefined) {
    return {
      error: `TRUST_PROXY entry "${invalid ?? setting}" is not an address or CIDR; ` +
        'write false, a number of proxy hops (1), or addresses and CIDRs (10.0.0.0/8,127.0.0.1)'
    }
  }
  return entries
}

// Fastify refuses hop counts (it cannot check the nearest peer), so the count becomes proxy-addr's
// trust function: hop 0 is the socket's peer, hop 1 the X-Forwarded-For entry nearest to us, ...
// Safe only where the server can be reached through the proxies alone.
export function trustProxyOption (trusted: TrustedProxies): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof trusted !== 'number') return trusted
  return (_address, hop) => hop < trusted
}
