import { createHmac } from 'node:crypto'
import type { InjectOptions } from 'fastify'

// A generated request is data, printed as it is when a property fails. Values that depend on
// the running fixtures are written as markers and resolved only when the request is sent,
// because the attacker's token changes whenever a generated request ends its session:
//   {$ref: 'attacker.token'}                 a fixture's current value
//   {$jwt: {header, claims}, $key}           an HS256 JWT signed with the server's key, another key, or none
//   {$join: [parts], $with: '.'}             parts resolved, then joined (refresh tokens)
//   {$tamper: value}                         the value with its signature or secret changed
//   {$now: seconds}                          the current Unix time plus an offset
//   {$repeat: text, times: n}                text repeated (so a failure report stays readable)
//   {$verbatim: text}                        a path or query parameter sent without percent-encoding
// `outsider`: a user of another user store, whose id is a string (a UUID). `backend` and
// `support`: services calling the /service/ routes, each with its service key.
export type FixtureName = 'victim' | 'attacker' | 'admin' | 'outsider'
export type FixtureField = 'userId' | 'account' | 'sessionId' | 'token' | 'refreshToken'
export type BackendName = 'backend' | 'support'
export type FixtureRef = `${FixtureName}.${FixtureField}` | `${BackendName}.serviceKey`

export type SigningKey = 'server' | 'other' | 'none'

export type Body =
  | { kind: 'none' }
  | { kind: 'json', value: unknown }
  // Sent as it is: malformed JSON, other content types, oversized payloads.
  | { kind: 'raw', contentType: string, text: string }

export interface RequestSpec {
  method: string
  // A route of the OpenAPI document, its parameters as `{name}`.
  path: string
  params: Record<string, unknown>
  query: Record<string, unknown>
  headers: Record<string, unknown>
  cookies: Record<string, unknown>
  body: Body
}

export interface ResolveContext {
  valueOf: (ref: FixtureRef) => string | number
  serverKey: string
}

const MS_PER_SECOND = 1000
const OTHER_KEY = 'another-secret-that-is-also-at-least-32-characters'
// What an HTTP/1.1 parser lets through in a header value: tab, visible ASCII, obs-text. Anything
// else never reaches the server (Node answers 400 itself), though app.inject would pass it on.
const HEADER_VALUE_PATTERN = /^[\t\x20-\x7e\x80-\xff]*$/

function isMarker<K extends string> (value: unknown, key: K): value is Record<K, unknown> & Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.hasOwn(value, key)
}

function base64url (value: unknown): string {
  return Buffer.from(JSON.stringify(value) ?? 'null').toString('base64url')
}

export function jwtOf (header: unknown, claims: unknown, key: SigningKey, serverKey: string): string {
  const signingInput = `${base64url(header)}.${base64url(claims)}`
  if (key === 'none') return `${signingInput}.`
  const secret = key === 'server' ? serverKey : OTHER_KEY
  return `${signingInput}.${createHmac('sha256', secret).update(signingInput).digest('base64url')}`
}

// Changes the first character of the last dot-separated part (a JWT's signature, a refresh
// token's secret). Not the last character: in base64url its low bits are padding, which a
// decoder may ignore, so changing it can leave the same signature.
function tamper (value: string): string {
  const at = value.lastIndexOf('.') + 1
  return `${value.slice(0, at)}${value[at] === 'A' ? 'B' : 'A'}${value.slice(at + 1)}`
}

export function resolve (value: unknown, context: ResolveContext): unknown {
  if (Array.isArray(value)) return value.map((item) => resolve(item, context))
  if (typeof value !== 'object' || value === null) return value
  if (isMarker(value, '$ref')) return context.valueOf(value.$ref as FixtureRef)
  if (isMarker(value, '$now')) return Math.floor(Date.now() / MS_PER_SECOND) + Number(value.$now)
  if (isMarker(value, '$repeat')) return String(value.$repeat).repeat(Number(value.times))
  if (isMarker(value, '$tamper')) return tamper(String(resolve(value.$tamper, context)))
  if (isMarker(value, '$join')) return (resolve(value.$join, context) as unknown[]).map(String).join(String(value.$with))
  if (isMarker(value, '$jwt')) {
    const { header, claims } = resolve(value.$jwt, context) as { header: unknown, claims: unknown }
    return jwtOf(header, claims, value.$key as SigningKey, context.serverKey)
  }
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, resolve(item, context)]))
}

function payloadOf (body: Exclude<Body, { kind: 'none' }>, context: ResolveContext): string {
  switch (body.kind) {
    case 'json': return JSON.stringify(resolve(body.value, context)) ?? 'null'
    case 'raw': return body.text
  }
}

function headerValue (name: string, value: unknown): string {
  const text = String(value)
  if (!HEADER_VALUE_PATTERN.test(text)) throw new Error(`generator bug: header ${name} holds a character no HTTP parser accepts`)
  return text
}

// A path or query parameter as a client would send it: percent-encoded UTF-8 (a lone surrogate becomes
// U+FFFD on the way), or as written when it is {$verbatim: text}, e.g. a broken escape.
function pathSegment (value: unknown, context: ResolveContext): string {
  if (isMarker(value, '$verbatim')) return String(value.$verbatim)
  return encodeURIComponent(Buffer.from(String(resolve(value, context))).toString())
}

// A list is the parameter given once per item.
function queryString (query: Record<string, unknown>, context: ResolveContext): string {
  const pairs = Object.entries(query).flatMap(([name, value]) => [value].flat().map((item) => `${name}=${pathSegment(item, context)}`))
  return pairs.length === 0 ? '' : `?${pairs.join('&')}`
}

// The request app.inject sends.
export function toInjectOptions (spec: RequestSpec, context: ResolveContext): InjectOptions & { url: string } {
  const path = spec.path.replace(/\{(\w+)\}/g, (_, name: string) => pathSegment(spec.params[name], context))
  const url = `${path}${queryString(spec.query, context)}`
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(resolve(spec.headers, context) as Record<string, unknown>)) {
    headers[name] = headerValue(name, value)
  }
  const cookies = Object.entries(resolve(spec.cookies, context) as Record<string, unknown>)
  if (cookies.length > 0) headers.cookie = headerValue('cookie', cookies.map(([name, value]) => `${name}=${String(value)}`).join('; '))
  const { body } = spec
  if (body.kind === 'none') return { method: spec.method as InjectOptions['method'], url, headers }
  const payload = payloadOf(body, context)
  const contentType = body.kind === 'raw' ? body.contentType : 'application/json'
  return { method: spec.method as InjectOptions['method'], url, headers: { 'content-type': contentType, ...headers }, payload }
}
