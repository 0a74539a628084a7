import { getParser } from 'bowser'
import { utf8Prefix } from './utf8-prefix.js'

// What a session list shows of a device: "Chrome 131 on macOS", not the 100-odd bytes of the
// User-Agent header, which people do not read and which would push the session out of Redis'
// compact hash encoding (values of at most `hash-max-listpack-value`, 64 bytes by default).
export const DEVICE_LABEL_MAX_BYTES = 64

// A browser's name, its major version and the operating system, as bowser reads them from the
// User-Agent header; a client bowser does not recognise (curl, an app's own agent) keeps the
// start of its header, which already names it.
export function deviceLabel (userAgent: string | undefined): string | undefined {
  if (userAgent === undefined || userAgent.trim() === '') return undefined
  const parser = getParser(userAgent)
  const browser = parser.getBrowserName()
  if (browser === '') return utf8Prefix(userAgent, DEVICE_LABEL_MAX_BYTES)
  const majorVersion = parser.getBrowserVersion()?.split('.')[0] ?? ''
  const system = parser.getOSName()
  const name = majorVersion === '' ? browser : `${browser} ${majorVersion}`
  return utf8Prefix(system === '' ? name : `${name} on ${system}`, DEVICE_LABEL_MAX_BYTES)
}
