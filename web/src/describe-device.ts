import type { SessionInfo } from './sdk.js'

// The server stores a short device label ("Chrome 131 on macOS"), shown as it is. A session it
// stored before it made labels holds the browser's whole User-Agent header (it starts with
// "Mozilla/"): summarised here the same way, since the full string says little to people.
const USER_AGENT_HEADER = /^Mozilla\//
const BROWSERS: ReadonlyArray<[RegExp, string]> = [
  [/Edg\/(\d+)/, 'Edge'],
  [/Firefox\/(\d+)/, 'Firefox'],
  [/(?:HeadlessChrome|Chrome|Chromium)\/(\d+)/, 'Chrome'],
  [/Version\/(\d+)[\d.]* .*Safari\//, 'Safari']
]
const SYSTEMS: ReadonlyArray<[RegExp, string]> = [
  [/Android/, 'Android'],
  [/iPhone|iPad|iPod/, 'iOS'],
  [/Windows/, 'Windows'],
  [/Mac OS X|Macintosh/, 'macOS'],
  [/CrOS/, 'ChromeOS'],
  [/Linux/, 'Linux']
]

function summariseUserAgent (userAgent: string): string {
  if (!USER_AGENT_HEADER.test(userAgent)) return userAgent
  const browser = BROWSERS.find(([pattern]) => pattern.test(userAgent))
  const system = SYSTEMS.find(([pattern]) => pattern.test(userAgent))
  if (browser === undefined) return userAgent
  const version = browser[0].exec(userAgent)?.[1]
  const name = version === undefined ? browser[1] : `${browser[1]} ${version}`
  return system === undefined ? name : `${name} on ${system[1]}`
}

// The app's own device name when it gave one at login, else the device label.
// (The server sends null for what it does not know.)
export function describeDevice (session: SessionInfo): string {
  const { deviceId, userAgent } = session
  if (typeof deviceId === 'string' && deviceId !== '') return deviceId
  if (typeof userAgent === 'string' && userAgent !== '') return summariseUserAgent(userAgent)
  return 'Unknown device'
}
