import { readFileSync } from 'node:fs'
import { createSecureContext, type ConnectionOptions } from 'node:tls'
import type { ClusterOptions, NatMap } from 'ioredis'
import { ConfigError } from '../config/config-error.js'

// The settings, by the server's names, that say how to reach Redis safely: TLS for every
// connection, and for a managed cluster the address translation and name handling it needs.
export interface RedisTlsSettings {
  REDIS_URL: string
  REDIS_CLUSTER_NODES?: string
  REDIS_TLS?: 'on' | 'off'
  REDIS_TLS_CA?: string
  REDIS_TLS_CERT?: string
  REDIS_TLS_KEY?: string
  REDIS_CLUSTER_NAT_MAP?: string
  REDIS_CLUSTER_DNS_LOOKUP?: 'resolve' | 'passthrough'
}

const TLS_SCHEME = /^rediss:\/\//i

// On with REDIS_TLS=on, or when REDIS_URL or any seed node says rediss://: one seed asking for
// TLS is taken as the whole cluster's (its nodes announce plain host:port, no scheme).
export function wantsTls (settings: RedisTlsSettings): boolean {
  if (settings.REDIS_TLS === 'on') return true
  if (settings.REDIS_CLUSTER_NODES === undefined) return TLS_SCHEME.test(settings.REDIS_URL)
  return settings.REDIS_CLUSTER_NODES.split(',').some((node) => TLS_SCHEME.test(node))
}

// ioredis' `tls` option, or undefined for plain TCP. The files are read and tried now, so a wrong
// path, a PEM that is not one, or a key that does not match its certificate stops the start with
// the setting's name. The certificate is always verified: there is no option to skip it.
export function redisTlsOptions (settings: RedisTlsSettings): ConnectionOptions | undefined {
  const fileSettings = (['REDIS_TLS_CA', 'REDIS_TLS_CERT', 'REDIS_TLS_KEY'] as const).filter((name) => settings[name] !== undefined)
  if (!wantsTls(settings)) {
    // A CA given while TLS is off would let an operator believe the traffic is encrypted.
    if (fileSettings.length > 0) throw new ConfigError(`Invalid configuration: ${fileSettings.join(', ')} need TLS: set REDIS_TLS=on or use rediss://`)
    return undefined
  }
  if ((settings.REDIS_TLS_CERT === undefined) !== (settings.REDIS_TLS_KEY === undefined)) {
    throw new ConfigError('Invalid configuration: REDIS_TLS_CERT and REDIS_TLS_KEY are given together (a client certificate and its key)')
  }
  const tls: ConnectionOptions = {
    ...pemFile('REDIS_TLS_CA', settings.REDIS_TLS_CA, 'ca'),
    ...pemFile('REDIS_TLS_CERT', settings.REDIS_TLS_CERT, 'cert'),
    ...pemFile('REDIS_TLS_KEY', settings.REDIS_TLS_KEY, 'key')
  }
  try {
    createSecureContext(tls)
  } catch (error) {
    throw new ConfigError(`Invalid configuration: ${fileSettings.join(', ')}: ${(error as Error).message}`)
  }
  return tls
}

function pemFile (name: string, path: string | undefined, option: 'ca' | 'cert' | 'key'): ConnectionOptions {
  if (path === undefined) return {}
  try {
    return { [option]: readFileSync(path) }
  } catch (error) {
    throw new ConfigError(`Invalid configuration: ${name}: cannot read ${path}: ${(error as Error).message}`)
  }
}

// The cluster options a managed cluster may need: natMap (the nodes announce addresses this host
// cannot reach) and dnsLookup (hostnames kept, so TLS checks the certificate against them).
export function clusterAddressOptions (settings: RedisTlsSettings): Pick<ClusterOptions, 'natMap' | 'dnsLookup'> {
  const options: Pick<ClusterOptions, 'natMap' | 'dnsLookup'> = {}
  if (settings.REDIS_CLUSTER_NODES === undefined) {
    const given = (['REDIS_CLUSTER_NAT_MAP', 'REDIS_CLUSTER_DNS_LOOKUP'] as const).filter((name) =>
      settings[name] !== undefined && !(name === 'REDIS_CLUSTER_DNS_LOOKUP' && settings[name] === 'resolve'))
    if (given.length > 0) throw new ConfigError(`Invalid configuration: ${given.join(', ')} apply to REDIS_CLUSTER_NODES only`)
    return options
  }
  if (settings.REDIS_CLUSTER_NAT_MAP !== undefined) options.natMap = parseNatMap(settings.REDIS_CLUSTER_NAT_MAP)
  if (settings.REDIS_CLUSTER_DNS_LOOKUP === 'passthrough') {
    options.dnsLookup = (hostname, callback) => { callback(null, hostname) }
  }
  return options
}

// Run where the configuration is read, so a wrong setting stops the start before any connection.
export function checkRedisConnectionSettings (settings: RedisTlsSettings): void {
  redisTlsOptions(settings)
  clusterAddressOptions(settings)
}

type NatTarget = { host: string, port: number }

// `{"10.0.0.1:6379": {"host": "203.0.113.7", "port": 16379}, ...}` (ioredis' own shape), or
// `10.0.0.1:6379=203.0.113.7:16379,...`.
export function parseNatMap (value: string): NatMap {
  const refuse = (why: string): never => {
    throw new ConfigError(`Invalid configuration: REDIS_CLUSTER_NAT_MAP ${why}`)
  }
  let entries: Array<[string, unknown]>
  // An IPv6 pair starts with a bracket: only an object is JSON here.
  if (value.trim().startsWith('{')) {
    let parsed: unknown
    try {
      parsed = JSON.parse(value)
    } catch (error) {
      return refuse(`is not JSON: ${(error as Error).message}`)
    }
    // Text that opens with a brace and parses is an object.
    entries = Object.entries(parsed as Record<string, unknown>)
  } else {
    entries = value.split(',').map((pair) => {
      const [from = '', to, ...rest] = pair.trim().split('=')
      if (to === undefined || rest.length > 0) return refuse(`must be from=to pairs (host:port=host:port), got "${pair}"`)
      return [from, hostPort(to)]
    })
  }
  const map: Record<string, NatTarget> = {}
  for (const [from, to] of entries) {
    const source = hostPort(from) ?? refuse(`has "${from}", not a host:port`)
    if (!isNatTarget(to)) return refuse(`maps "${from}" to something other than a host and a port`)
    // As ioredis looks it up: the address a node announces, an IPv6 one without brackets.
    map[`${source.host}:${source.port}`] = { host: to.host, port: to.port }
  }
  if (Object.keys(map).length === 0) refuse('is empty')
  return map
}

function hostPort (address: string): NatTarget | undefined {
  const separator = address.lastIndexOf(':')
  const host = address.slice(0, separator)
  const port = Number(address.slice(separator + 1))
  if (separator <= 0 || !Number.isInteger(port) || port < 1 || port > 65535 || /[\s,=]/.test(host)) return undefined
  return { host: host.replace(/^\[(.*)\]$/, '$1'), port }
}

function isNatTarget (value: unknown): value is NatTarget {
  if (typeof value !== 'object' || value === null) return false
  const { host, port } = value as Record<string, unknown>
  return typeof host === 'string' && host !== '' && Number.isInteger(port) && (port as number) > 0 && (port as number) <= 65535
}
