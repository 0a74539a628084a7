import ipaddr from 'ipaddr.js'
import { ConfigError } from './config-error.js'

// METRICS_ALLOW: the addresses and CIDRs besides loopback that may read /metrics without a
// token. Written strictly (four-part IPv4), as an allow list is no place for `0x7f.1`.
export type AddressRange = [ipaddr.IPv4 | ipaddr.IPv6, number]

const IPV4_MAPPED_PREFIX_BITS = 96

// An IPv4 network written as IPv4-mapped IPv6 (::ffff:10.0.0.0/104) matches IPv4 peers.
function normalizedRange ([network, bits]: AddressRange): AddressRange {
  if (network instanceof ipaddr.IPv6 && network.isIPv4MappedAddress() && bits >= IPV4_MAPPED_PREFIX_BITS) {
    return [network.toIPv4Address(), bits - IPV4_MAPPED_PREFIX_BITS]
  }
  return [network, bits]
}

function parseEntry (entry: string): AddressRange | undefined {
  if (entry.includes('/')) {
    const valid = ipaddr.IPv4.isValidCIDRFourPartDecimal(entry) || ipaddr.IPv6.isValidCIDR(entry)
    return valid ? normalizedRange(ipaddr.parseCIDR(entry)) : undefined
  }
  if (ipaddr.IPv4.isValidFourPartDecimal(entry)) return [ipaddr.IPv4.parse(entry), 32]
  if (ipaddr.IPv6.isValid(entry)) return normalizedRange([ipaddr.IPv6.parse(entry), 128])
  return undefined
}

// Comma-separated, IPv4 and IPv6; a bad entry stops the start with a message naming it.
export function parseMetricsAllow (list: string): AddressRange[] {
  return list.split(',').map((entry) => entry.trim()).filter(Boolean).map((entry) => {
    const range = parseEntry(entry)
    if (range === undefined) {
      throw new ConfigError(`Invalid configuration: METRICS_ALLOW entry "${entry}" is not an address or CIDR like 10.0.0.0/8 or fd00::/8`)
    }
    return range
  })
}
